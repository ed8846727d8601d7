"""The reports as one self-contained HTML page: tables plus charts drawn by pygal as inline SVG.

The page loads nothing and runs nothing: pygal's SVG carries a ``<script>`` for its tooltips
that is removed here, and the page's Content-Security-Policy forbids scripts and every
fetch, so it can be mailed around or opened from a file share as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pygal
from jinja2 import Environment
from lxml import etree
from markupsafe import Markup
from pygal.style import Style

from newsletter.feedback.rates import (
    GMAIL_SPAM,
    SES_PAUSE_BOUNCE,
    SES_PAUSE_COMPLAINT,
    SES_REVIEW_BOUNCE,
    SES_REVIEW_COMPLAINT,
)
from newsletter.reports.issue import IssueReport
from newsletter.reports.listing import ListReport

_STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#666",
    colors=("#1a73e8", "#d93025", "#f9ab00", "#188038", "#9334e6", "#5f6368", "#e8710a"),
    font_family="system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
)
_CHART: dict[str, Any] = {
    "style": _STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "width": 860,
    "height": 360,
    "print_values": True,
    "legend_at_bottom": True,
    "truncate_label": -1,
}
_SVG = "{http://www.w3.org/2000/svg}"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 900px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: .35em .8em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.warn { color: #b3261e; font-weight: 600; }
figure { margin: 1.5em 0; } figure svg { width: 100%; height: auto; }
.note { color: #555; font-size: .9em; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="note">{{ subtitle }}</p>
{% for warning in warnings %}<p class="warn">{{ warning }}</p>{% endfor %}
{% for table in tables %}
<h2>{{ table.title }}</h2>
<table>
<tr>{% for h in table.head %}<th>{{ h }}</th>{% endfor %}</tr>
{% for row in table.rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endfor %}
{% for chart in charts %}<figure>{{ chart }}</figure>
{% endfor %}
</body>
</html>
"""


def _svg(chart: Any) -> Markup:
    """The chart's SVG without pygal's tooltip script (which the page would not run anyway)."""
    root = etree.fromstring(chart.render(is_unicode=True).encode("utf-8"))
    for script in root.iter(f"{_SVG}script", "script"):
        parent = script.getparent()
        if parent is not None:
            parent.remove(script)
    etree.strip_tags(root, etree.Comment)
    return Markup(etree.tostring(root, encoding="unicode"))  # noqa: S704 - pygal's own SVG


def _page(**context: Any) -> str:
    env = Environment(autoescape=True)
    return env.from_string(PAGE).render(**context)


def _pct(value: Any) -> float:
    return round(float(value) * 100, 3) if value is not None else 0.0


def _rate_chart(
    title: str,
    *,
    labels: list[str],
    series: tuple[str, Sequence[Any]],
    limits: Sequence[tuple[str, Any]],
) -> Markup:
    """A line of one rate per issue (in percent), with each threshold as a dashed line."""
    chart = pygal.Line(**{**_CHART, "print_values": False, "x_label_rotation": 30})
    chart.title = title
    chart.x_labels = labels
    name, values = series
    chart.add(name, [_pct(v) for v in values])
    for limit_name, limit in limits:
        chart.add(limit_name, [_pct(limit)] * len(labels), stroke_style={"dasharray": "6,4"})
    return _svg(chart)


def issue_html(report: IssueReport) -> str:
    """The issue report as one HTML page."""
    outcome = pygal.Bar(**_CHART)
    outcome.title = f"Messages of {report.date.isoformat()}"
    outcome.x_labels = [
        "recipients",
        "sent",
        "delivered",
        "delayed",
        "hard bounce",
        "soft bounce",
        "rejected",
        "complaints",
        "unsubscribes",
    ]
    outcome.add(
        "messages",
        [
            report.recipients,
            report.sent,
            report.delivered,
            report.delayed,
            report.bounced_hard,
            report.bounced_soft,
            report.rejected,
            report.complaints,
            sum(report.unsubscribes.values()),
        ],
    )
    outcome.show_legend = False
    charts = [_svg(outcome)]
    tables: list[dict[str, Any]] = [
        {"title": "Delivery", "head": ["", "messages"], "rows": report.delivery_rows()}
    ]
    if report.tracked:
        engagement = pygal.HorizontalBar(**_CHART)
        engagement.title = "Opens and clicks"
        engagement.x_labels = ["opens", "clicks"]
        engagement.add("unique", [report.opens_unique, report.clicks_unique])
        engagement.add("total", [report.opens_total, report.clicks_total])
        charts.append(_svg(engagement))
        tables.append(
            {
                "title": "Opens and clicks",
                "head": ["", "unique", "total"],
                "rows": [
                    ["opens", report.opens_unique, report.opens_total],
                    ["clicks", report.clicks_unique, report.clicks_total],
                ]
                + [[link.link, link.unique, link.total] for link in report.links],
            }
        )
        if report.links:
            per_link = pygal.HorizontalBar(
                **{**_CHART, "height": max(200, 40 * len(report.links) + 120)}
            )
            per_link.title = "Clicks per link (unique readers)"
            for link in report.links:
                per_link.add(link.link, [link.unique])
            charts.append(_svg(per_link))
    return _page(
        title=f"Issue {report.date.isoformat()}: {report.subject}",
        subtitle="Lists: "
        + ", ".join(report.lists)
        + ("" if report.tracked else "; opens and clicks not tracked"),
        warnings=[f"Sent with --force: {f}" for f in report.forced],
        tables=tables,
        charts=charts,
    )


def list_html(report: ListReport) -> str:
    """The list report as one HTML page."""
    growth = pygal.Line(**{**_CHART, "print_values": False, "x_label_rotation": 30})
    growth.title = "Active subscribers"
    step = max(1, len(report.growth) // 12)
    growth.x_labels = [g.day.isoformat() for g in report.growth]
    growth.x_labels_major = [g.day.isoformat() for g in report.growth[::step]]
    growth.show_minor_x_labels = False
    growth.add("active", [g.active for g in report.growth])
    charts = [_svg(growth)]
    labels = [i.date.isoformat() for i in report.issues]
    complaints = _rate_chart(
        "Complaint rate per issue (%)",
        labels=labels,
        series=("complaint rate", [i.rates.complaint_rate for i in report.issues]),
        limits=(
            ("SES review 0.1%", SES_REVIEW_COMPLAINT),
            ("Gmail 0.3%", GMAIL_SPAM),
            ("SES pause risk 0.5%", SES_PAUSE_COMPLAINT),
        ),
    )
    bounces = _rate_chart(
        "Bounce rate per issue (%)",
        labels=labels,
        series=("bounce rate", [i.rates.bounce_rate for i in report.issues]),
        limits=(("SES review 5%", SES_REVIEW_BOUNCE), ("SES pause risk 10%", SES_PAUSE_BOUNCE)),
    )
    charts += [complaints, bounces]
    data = report.as_dict()
    subs = data["subscribers"]
    since = report.since.date().isoformat()
    until = report.until.date().isoformat()
    return _page(
        title=f"List {report.list_name}: last {report.days} days",
        subtitle=f"{since} to {until} (UTC); rates over messages sent, hard bounces only",
        warnings=[f"Sent with --force: {f}" for f in report.forced],
        tables=[
            {
                "title": "Subscribers",
                "head": ["active at start", "new", "unsubscribed", "active now"],
                "rows": [
                    [subs["active_start"], subs["new"], subs["unsubscribed"], subs["active_end"]]
                ],
            },
            {
                "title": "Issues",
                "head": ["issue", "sent", "bounces", "complaints", "unsubscribes", "thresholds"],
                "rows": [i.row() for i in report.issues],
            },
        ],
        charts=charts,
    )

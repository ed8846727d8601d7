"""`newsletter report ...`: how an issue went, how a list is doing (text, JSON or HTML)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from newsletter.audience.lists import get_list
from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import print_json, print_table
from newsletter.db import transaction
from newsletter.feedback.tracking import set_tracking
from newsletter.files import write_files
from newsletter.reports import issue_report, list_report
from newsletter.reports.html import issue_html, list_html

app = typer.Typer(help="Reports: an issue's delivery and engagement, a list's health.")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
HtmlOpt = Annotated[
    Path | None,
    typer.Option("--html", help="Also write one self-contained HTML page with charts."),
]


def _html_or_json(
    *, html: Path | None, page: Callable[[], str], data: dict[str, Any], as_json: bool
) -> bool:
    """Write the HTML page when asked, print the JSON when asked; True when JSON was printed
    (the text report is then left out)."""
    if html is not None:
        write_files({html: page()})
    if as_json:
        print_json(data)
    return as_json


def _footer(forced: list[str], html: Path | None) -> None:
    """The lines that close a text report: issues sent with --force, the page written."""
    for issue in forced:
        typer.echo(f"sent with --force: {issue}")
    if html is not None:
        typer.echo(f"wrote {html}")


@app.command("issue")
def issue_(
    ctx: typer.Context,
    date: Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")],
    as_json: JsonOpt = False,
    html: HtmlOpt = None,
    edition: EditionOpt = None,
) -> None:
    """Recipients, sent, delivered, delayed, bounced, rejected, complaints, unsubscribes; opens
    and clicks when the list is tracked."""
    rt = runtime(ctx)
    with transaction(rt.engine()) as session:
        report = issue_report(session, date=date.date(), edition=edition)
    if _html_or_json(
        html=html, page=lambda: issue_html(report), data=report.as_dict(), as_json=as_json
    ):
        return
    rows = report.delivery_rows()
    if report.tracked:
        rows += [
            ["opens (unique / total)", f"{report.opens_unique} / {report.opens_total}"],
            ["clicks (unique / total)", f"{report.clicks_unique} / {report.clicks_total}"],
        ]
    if report.paused:
        typer.echo(report.paused)
    lists = ", ".join(report.lists) or "-"
    title = f"{report.edition} {report.date.isoformat()} {report.subject} ({lists})"
    print_table(title, columns=["", "messages"], rows=rows)
    if report.tracked and report.links:
        print_table(
            "clicks per link",
            columns=["link", "unique", "total"],
            rows=[[link.link, link.unique, link.total] for link in report.links],
        )
    if not report.tracked:
        typer.echo("opens and clicks: not tracked for this issue's list")
    _footer(report.forced, html)


@app.command("list")
def list_(
    ctx: typer.Context,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Default: NEWSLETTER_DEFAULT_LIST.")
    ] = None,
    days: Annotated[int, typer.Option("--days", min=1, max=3660)] = 90,
    as_json: JsonOpt = False,
    html: HtmlOpt = None,
) -> None:
    """Subscriber growth and each issue's bounce, complaint and unsubscribe rates, against
    SES's and Gmail's thresholds."""
    rt = runtime(ctx)
    name = list_name or rt.settings.default_list
    with transaction(rt.engine()) as session:
        report = list_report(session, list_name=name, days=days, settings=rt.settings)
    data = report.as_dict()
    if _html_or_json(html=html, page=lambda: list_html(report), data=data, as_json=as_json):
        return
    subs = data["subscribers"]
    sent_by = f" (edition {', '.join(report.editions)})" if report.editions else ""
    typer.echo(
        f"{report.list_name}{sent_by}, last {days} days: "
        f"{subs['active_start']} active at the start, "
        f"{subs['new']} new, {subs['unsubscribed']} unsubscribed, {subs['active_end']} now"
    )
    print_table(
        "issues",
        columns=["issue", "sent", "bounce", "complaint", "unsubscribe", "thresholds"],
        rows=[i.row() for i in report.issues],
    )
    totals = data["totals"]
    limits = data["thresholds"]
    typer.echo(
        f"all issues: bounce {totals['bounce_rate']} (SES review {limits['ses_review_bounce']}, "
        f"pause risk {limits['ses_pause_bounce']}); complaints {totals['complaint_rate']} "
        f"(SES review {limits['ses_review_complaint']}, Gmail {limits['gmail_spam']}, "
        f"SES pause risk {limits['ses_pause_complaint']})"
    )
    if report.unattached_events:
        typer.echo(f"events for messages no delivery carries: {report.unattached_events}")
    _footer(report.forced, html)


@app.command("tracking")
def tracking(
    ctx: typer.Context,
    list_name: Annotated[str, typer.Argument(help="The list.")],
    on: Annotated[bool, typer.Option("--on/--off", help="Track opens and clicks, or not.")],
) -> None:
    """Turn open and click tracking on or off for a list (off by default)."""
    rt = runtime(ctx)
    with transaction(rt.engine()) as session:
        mailing_list = get_list(session, list_name)
        changed = set_tracking(session, list_id=mailing_list.id, enabled=on)
    state = "on" if on else "off"
    typer.echo(f"{list_name}: tracking {state}" + ("" if changed else " (already)"))

"""The HTML reports in the real Chromium: charts present, labelled and readable; nothing loads
and nothing runs; screenshots kept in test-artifacts/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from newsletter.db import transaction
from newsletter.feedback import apply_notification
from newsletter.feedback.tracking import set_tracking
from newsletter.reports import issue_report, list_report
from newsletter.reports.html import issue_html, list_html
from tests.support.factories import add_issue, add_person
from tests.support.feedback import add_delivery
from tests.support.sns import ses_message

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser


def _seed(engine: Engine) -> None:
    people = [add_person(engine, f"b{n}@example.com") for n in range(20)]
    with transaction(engine) as session:
        set_tracking(session, list_id=people[0].list_id, enabled=True)
    for day in range(3):
        issue_id = add_issue(engine, dt.date(2025, 8, 14 + day))
        for n, person in enumerate(people):
            mid = f"m-{day}-{n}"
            add_delivery(engine, person, issue_id, message_id=mid)
            kinds = ["Delivery"] + (["Open", "Click"] if n % 3 == 0 else [])
            if n == day:
                kinds = ["Bounce"]
            for kind in kinds:
                with transaction(engine) as session:
                    apply_notification(
                        session,
                        message=ses_message(
                            kind,
                            message_id=mid,
                            recipient=person.email,
                            tag=f"story-{n % 2 + 1}",
                            permanent=False,
                        ),
                        soft_limit=99,
                    )


def test_html_reports_show_their_charts(browser: Browser, engine: Engine) -> None:
    _seed(engine)
    with transaction(engine) as session:
        pages = {
            "report-issue": issue_html(issue_report(session, date=dt.date(2025, 8, 16))),
            "report-list": list_html(list_report(session, list_name="daily", days=30)),
        }
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1000, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for name, html in pages.items():
        assert "<script" not in html
        path = ARTIFACTS / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        page.goto(path.as_uri())
        charts = page.locator("figure svg")
        assert charts.count() == 3
        for n in range(charts.count()):
            box = charts.nth(n).bounding_box()
            assert box is not None
            assert box["width"] > 600
            assert box["height"] > 150
        titles = [(t.text_content() or "").strip() for t in page.locator("figure svg .title").all()]
        if name == "report-issue":
            assert titles == [
                "Messages of 2025-08-16",
                "Opens and clicks",
                "Clicks per link (unique readers)",
            ]
            assert "story-1" in (page.locator("figure").nth(2).text_content() or "")
        else:
            assert titles == [
                "Active subscribers",
                "Complaint rate per issue (%)",
                "Bounce rate per issue (%)",
            ]
            assert "Gmail 0.3%" in (page.locator("figure").nth(1).text_content() or "")
        # Bars and lines were drawn (not an empty frame).
        assert page.locator("figure svg .rect, figure svg .line").count() > 3
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert [url for url in requests if not url.startswith("file://")] == []
    page.close()

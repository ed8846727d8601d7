"""Reports on a seeded dataset, exactly (both databases), and the send guard at its edges."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from newsletter.audience import unsubscribe
from newsletter.cli import app
from newsletter.db import transaction
from newsletter.feedback import apply_notification
from newsletter.feedback.guard import GuardError, check_send_guard
from newsletter.feedback.tracking import set_tracking
from newsletter.models import (
    DeliveryState,
    GuardOverride,
    Subscription,
)
from newsletter.reports import issue_report, list_report
from newsletter.settings import Settings
from tests.support.factories import Person, add_issue, add_person
from tests.support.feedback import add_delivery, mass_history
from tests.support.sns import ses_message

UTC = dt.UTC
SENT_AT = dt.datetime(2025, 8, 14, 7, 0, tzinfo=UTC)
NOW = dt.datetime(2025, 9, 1, 0, 0, tzinfo=UTC)


def _apply(engine: Engine, kind: str, n: int, people: list[Person], **options: object) -> None:
    message = ses_message(kind, message_id=f"m-{n}", recipient=people[n].email, **options)
    with transaction(engine) as session:
        apply_notification(session, message=message, soft_limit=3)


def _seed(engine: Engine) -> tuple[list[Person], int]:
    people = [add_person(engine, f"p{n}@example.com") for n in range(12)]
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    for n, person in enumerate(people):
        state = DeliveryState.SENT if n < 10 else DeliveryState.FAILED
        if n == 11:
            state = DeliveryState.SKIPPED
        add_delivery(engine, person, issue_id, message_id=f"m-{n}", state=state, sent_at=SENT_AT)
    with transaction(engine) as session:
        set_tracking(session, list_id=people[0].list_id, enabled=True)
        confirmed = [dt.datetime(2025, 8, 1, tzinfo=UTC)] * 8 + [
            dt.datetime(2025, 8, 10, 12, tzinfo=UTC)
        ] * 4
        for person, at in zip(people, confirmed, strict=True):
            session.execute(
                update(Subscription)
                .where(Subscription.subscriber_id == person.subscriber_id)
                .values(confirmed_at=at)
            )
    for n in range(7):
        _apply(engine, "Delivery", n, people)
    _apply(engine, "DeliveryDelay", 7, people, at="2025-08-14T07:05:00.000Z")
    _apply(engine, "DeliveryDelay", 7, people, at="2025-08-14T07:35:00.000Z")
    _apply(engine, "Bounce", 8, people)
    _apply(engine, "Bounce", 9, people, permanent=False, feedback_id="soft-1")
    _apply(engine, "Bounce", 9, people, permanent=False, feedback_id="soft-2")
    _apply(engine, "Reject", 10, people)
    _apply(engine, "Complaint", 1, people)
    for hour in ("08:00", "09:00", "10:00"):
        _apply(engine, "Open", 0, people, at=f"2025-08-14T{hour}:00.000Z")
    _apply(engine, "Open", 1, people, at="2025-08-14T08:00:00.000Z")
    for n, tag, minute in ((0, "story-1", "01"), (0, "story-1", "02"), (1, "story-1", "03")):
        _apply(engine, "Click", n, people, tag=tag, at=f"2025-08-14T08:{minute}:00.000Z")
    _apply(engine, "Click", 0, people, tag="story-2", link="https://example.com/b")
    with transaction(engine) as session:
        apply_notification(
            session, message=ses_message("Delivery", message_id="m-unknown"), soft_limit=3
        )
        for n, method in ((2, "one-click"), (3, "link")):
            unsubscribe(
                session,
                subscriber_id=people[n].subscriber_id,
                list_id=people[n].list_id,
                method=method,
                issue_id=issue_id,
            )
        session.execute(
            update(Subscription)
            .where(Subscription.unsubscribed_at.is_not(None))
            .values(unsubscribed_at=dt.datetime(2025, 8, 15, 9, tzinfo=UTC))
        )
    return people, issue_id


EXPECTED_ISSUE = {
    "edition": "default",
    "paused": "",
    "date": "2025-08-14",
    "subject": "AI 日报",
    "lists": ["daily"],
    "recipients": 11,
    "sent": 10,
    "delivered": 7,
    "delayed": 1,
    "bounced": {"hard": 1, "soft": 1},
    "rejected": 1,
    "rendering_failures": 0,
    "complaints": 1,
    "bounce_rate": "10.00%",
    "complaint_rate": "10.00%",
    "unsubscribes": {"complaint": 1, "link": 1, "one-click": 1},
    "tracked": True,
    "forced": [],
    "opens": {"unique": 2, "total": 4},
    "clicks": {"unique": 2, "total": 4},
    "links": [
        {"link": "story-1", "unique": 2, "total": 3},
        {"link": "story-2", "unique": 1, "total": 1},
    ],
}


def test_issue_report_is_exact(engine: Engine) -> None:
    _seed(engine)
    with transaction(engine) as session:
        report = issue_report(session, date=dt.date(2025, 8, 14))
    assert report.as_dict() == EXPECTED_ISSUE


def test_list_report_is_exact(engine: Engine) -> None:
    _seed(engine)
    with transaction(engine) as session:
        report = list_report(session, list_name="daily", days=30, now=NOW)
    data = report.as_dict()
    assert data["subscribers"] == {"active_start": 8, "new": 4, "unsubscribed": 3, "active_end": 9}
    growth = {g["day"]: (g["new"], g["unsubscribed"], g["active"]) for g in data["growth"]}
    assert len(growth) == 31
    assert growth["2025-08-02"] == (0, 0, 8)
    assert growth["2025-08-10"] == (4, 0, 12)
    assert growth["2025-08-15"] == (0, 3, 9)
    assert growth["2025-09-01"] == (0, 0, 9)
    assert data["issues"] == [
        {
            "date": "2025-08-14",
            "sent": 10,
            "bounced_hard": 1,
            "complaints": 1,
            "unsubscribes": 3,
            "bounce_rate": "10.00%",
            "complaint_rate": "10.00%",
            "unsubscribe_rate": "30.00%",
            "warnings": ["bounces at SES pause risk", "complaints at SES pause risk"],
        }
    ]
    assert data["thresholds"] == {
        "ses_review_bounce": "5.00%",
        "ses_pause_bounce": "10.00%",
        "ses_review_complaint": "0.10%",
        "ses_pause_complaint": "0.50%",
        "gmail_spam": "0.30%",
    }
    assert data["events_for_unknown_messages"] == 0  # received after NOW


def test_report_cli_json_and_text(
    engine: Engine, cli_env: Settings, runner: CliRunner, tmp_path: Path
) -> None:
    _seed(engine)
    result = runner.invoke(app, ["report", "issue", "--date", "2025-08-14", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == EXPECTED_ISSUE
    text = runner.invoke(app, ["report", "issue", "--date", "2025-08-14"])
    assert "story-1" in text.stdout
    assert "delivered" in text.stdout
    listing = runner.invoke(app, ["report", "list", "--days", "3650", "--json"])
    assert listing.exit_code == 0, listing.output
    assert json.loads(listing.stdout)["events_for_unknown_messages"] == 1
    missing = runner.invoke(app, ["report", "issue", "--date", "2030-01-01"])
    assert missing.exit_code == 2
    assert missing.stderr.strip() == "error: no issue for 2030-01-01"


# --- the guard ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("complaints", "hard", "error"),
    [
        (29, 0, None),
        (30, 0, "complaint rate 0.30% (30 of 10000) is at or above 0.30% (Gmail)"),
        (0, 499, None),
        (0, 500, "bounce rate 5.00% (500 of 10000) is at or above 5.00% (SES review)"),
    ],
)
def test_guard_at_the_thresholds(
    engine: Engine, complaints: int, hard: int, error: str | None
) -> None:
    list_id = mass_history(engine, complaints=complaints, hard_bounces=hard)
    with transaction(engine) as session:
        if error is None:
            assert check_send_guard(session, list_id=list_id, list_name="big").ok
        else:
            with pytest.raises(GuardError) as caught:
                check_send_guard(session, list_id=list_id, list_name="big")
            assert error in str(caught.value)
            verdict = check_send_guard(session, list_id=list_id, list_name="big", force=True)
            assert verdict.forced


def test_send_and_daily_refuse_and_force_overrides(
    engine: Engine, cli_env: Settings, runner: CliRunner
) -> None:
    mass_history(engine, complaints=30, hard_bounces=0)
    for command in (
        ["send", "issue", "--date", "2025-08-20", "--list", "big"],
        ["daily", "--date", "2025-08-20", "--list", "big"],
    ):
        refused = runner.invoke(app, command)
        assert refused.exit_code == 2
        assert refused.stderr.strip() == (
            "error: list 'big', last 30 days: complaint rate 0.30% (30 of 10000) is at or "
            "above 0.30% (Gmail); not sending (--force sends anyway)"
        )
    forced = runner.invoke(
        app, ["send", "issue", "--date", "2025-08-20", "--list", "big", "--force"]
    )
    assert "not sending" not in forced.output
    with transaction(engine) as session:
        assert len(list(session.scalars(select(GuardOverride)))) == 1
    report = runner.invoke(app, ["report", "issue", "--date", "2025-08-20", "--json"])
    assert "complaint rate 0.30%" in json.loads(report.stdout)["forced"][0]


def test_the_daily_lambda_is_guarded(
    engine: Engine, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsletter.aws.handlers import daily

    mass_history(engine, complaints=0, hard_bounces=500)
    monkeypatch.setenv("NEWSLETTER_DEFAULT_LIST", "big")
    event = {"date": "2025-08-20"}
    with pytest.raises(GuardError, match=r"bounce rate 5\.00% \(500 of 10000\)"):
        daily(event, None)
    # {"force": true} in the event sends anyway (the override is recorded).
    report = daily({**event, "force": True}, None)
    assert report["editions"][0]["date"] == "2025-08-20"
    with transaction(engine) as session:
        assert len(list(session.scalars(select(GuardOverride)))) == 1

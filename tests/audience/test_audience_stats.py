"""The operator's figures: counts by status, unsubscribes per issue and method, growth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from newsletter.audience import (
    add_subscriber,
    get_list,
    list_subscribers,
    list_summaries,
    parse_status,
    subscriber_stats,
    unsubscribe,
)
from newsletter.errors import NotFoundError
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import Issue, SubscriberEvent

MakeIssue = Callable[[dt.date], Issue]
NOW = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC)
A_DAY, B_DAY = dt.date(2026, 1, 19), dt.date(2026, 1, 20)


def _person(session: Session, email: str, list_name: str = "daily", *, active: bool = True) -> int:
    result = add_subscriber(session, email=email, list_name=list_name, confirmed=active)
    assert result.subscriber is not None
    return result.subscriber.id


def _setup(session: Session, make_issue: MakeIssue) -> dict[str, int]:
    a, b = make_issue(A_DAY), make_issue(B_DAY)
    p = {f"p{i}": _person(session, f"p{i}@example.com") for i in (1, 2, 3, 5, 6)}
    p["p4"] = _person(session, "p4@example.com", active=False)
    p["p7"] = _person(session, "p7@example.com", "weekly")
    daily, weekly = get_list(session, "daily").id, get_list(session, "weekly").id
    unsubscribe(session, subscriber_id=p["p1"], list_id=daily, method="one-click", issue_id=b.id)
    unsubscribe(session, subscriber_id=p["p2"], list_id=daily, method="link", issue_id=b.id)
    unsubscribe(session, subscriber_id=p["p3"], list_id=daily, method="one-click", issue_id=a.id)
    record_complaint(session, email="p5@example.com", detail="", issue_id=a.id)
    record_bounce(session, email="p6@example.com", permanent=True, detail="", soft_limit=3)
    unsubscribe(session, subscriber_id=p["p7"], list_id=weekly, method="operator")
    # Fixed times: everything on B_DAY, except p1's sign-up (two days before) and p2's
    # (forty days before: outside the 30-day window).
    session.execute(update(SubscriberEvent).values(created_at=NOW))
    for who, days in (("p1", 2), ("p2", 40)):
        session.execute(
            update(SubscriberEvent)
            .where(
                SubscriberEvent.subscriber_id == p[who],
                SubscriberEvent.kind.in_(["subscribed", "confirmed"]),
            )
            .values(created_at=NOW - dt.timedelta(days=days))
        )
    session.commit()
    return p | {"a": a.id, "b": b.id}


def test_stats_for_all_lists(session: Session, make_issue: MakeIssue) -> None:
    ids = _setup(session, make_issue)
    stats = subscriber_stats(session, now=NOW)
    assert stats["list"] is None
    assert stats["subscriptions"] == {"pending": 1, "active": 1, "unsubscribed": 5}
    assert stats["mailable"] == 0  # the one active subscription belongs to a bounced address
    assert stats["subscribers"] == {"ok": 5, "bounced": 1, "complained": 1, "erased": 0}
    assert stats["unsubscribes"] == [
        {"issue_id": ids["b"], "issue_date": B_DAY, "method": "link", "count": 1},
        {"issue_id": ids["b"], "issue_date": B_DAY, "method": "one-click", "count": 1},
        {"issue_id": ids["a"], "issue_date": A_DAY, "method": "complaint", "count": 1},
        {"issue_id": ids["a"], "issue_date": A_DAY, "method": "one-click", "count": 1},
        {"issue_id": None, "issue_date": None, "method": "operator", "count": 1},
    ]
    growth = stats["growth"]
    assert (growth["from"], growth["to"]) == ("2025-12-22", "2026-01-20")
    assert len(growth["daily"]) == 30
    assert growth["totals"] == {
        "subscribed": 6,  # p2's sign-up is older than the window
        "confirmed": 5,
        "unsubscribed": 5,
        "bounced": 1,
        "complained": 1,
    }
    by_day = {d["date"]: d for d in growth["daily"]}
    assert by_day["2026-01-18"] == {
        "date": "2026-01-18",
        "subscribed": 1,
        "confirmed": 1,
        "unsubscribed": 0,
        "bounced": 0,
        "complained": 0,
    }
    assert by_day["2026-01-20"]["subscribed"] == 5
    assert sum(d["subscribed"] for d in growth["daily"]) == 6


def test_stats_for_one_list(session: Session, make_issue: MakeIssue) -> None:
    ids = _setup(session, make_issue)
    stats = subscriber_stats(session, list_name="daily", now=NOW)
    assert stats["list"] == "daily"
    assert stats["subscriptions"] == {"pending": 1, "active": 1, "unsubscribed": 4}
    assert stats["subscribers"] == {"ok": 4, "bounced": 1, "complained": 1, "erased": 0}
    assert [(u["issue_id"], u["method"]) for u in stats["unsubscribes"]] == [
        (ids["b"], "link"),
        (ids["b"], "one-click"),
        (ids["a"], "complaint"),
        (ids["a"], "one-click"),
    ]
    assert stats["growth"]["totals"] == {
        "subscribed": 5,
        "confirmed": 4,
        "unsubscribed": 4,
        "bounced": 1,  # a member's bounce counts for the list
        "complained": 1,
    }
    with pytest.raises(NotFoundError, match="no list named 'nope'"):
        subscriber_stats(session, list_name="nope")


def test_list_summaries_and_filtered_listing(session: Session, make_issue: MakeIssue) -> None:
    _setup(session, make_issue)
    _person(session, "p8@example.com")
    summaries = {s["name"]: s for s in list_summaries(session)}
    assert {
        k: summaries["daily"][k] for k in ("pending", "active", "unsubscribed", "mailable")
    } == {
        "pending": 1,
        "active": 2,
        "unsubscribed": 4,
        "mailable": 1,
    }
    active = list_subscribers(session, list_name="daily", status=parse_status("active"))
    assert [p["email"] for p in active] == ["p6@example.com", "p8@example.com"]
    bounced = list_subscribers(session, status=parse_status("bounced"))
    assert [(p["email"], p["lists"]) for p in bounced] == [("p6@example.com", {"daily": "active"})]
    assert len(list_subscribers(session, limit=2)) == 2

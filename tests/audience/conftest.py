"""Fixtures for the audience tests: a session on each database, events and issues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from newsletter import db
from newsletter.editions import default_edition
from newsletter.models import Issue, SubscriberEvent

EventsOf = Callable[[int], list[tuple[str, str, int | None]]]
MakeIssue = Callable[[dt.date], Issue]


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database (SQLite and PostgreSQL); tests commit when they need."""
    with db.session_factory(engine)() as s:
        yield s


@pytest.fixture
def events_of(session: Session) -> EventsOf:
    """(kind, method, issue_id) of a subscriber's events, oldest first."""

    def read(subscriber_id: int) -> list[tuple[str, str, int | None]]:
        rows = session.scalars(
            select(SubscriberEvent)
            .where(SubscriberEvent.subscriber_id == subscriber_id)
            .order_by(SubscriberEvent.id)
        )
        return [(e.kind.value, e.method, e.issue_id) for e in rows]

    return read


@pytest.fixture
def make_issue(session: Session) -> MakeIssue:
    """Store an issue of a given day (the issue an unsubscribe link came from)."""

    def make(day: dt.date) -> Issue:
        issue = Issue(
            edition=default_edition(session),
            date=day,
            subject=f"AI 日报 {day.isoformat()}",
            sections=[],
        )
        session.add(issue)
        session.flush()
        return issue

    return make

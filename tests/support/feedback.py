"""Factories for the feedback tests: people, issues, deliveries, and snapshots of the tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from newsletter.audience import add_subscriber
from newsletter.db import transaction
from newsletter.models import (
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
    SubscriberEvent,
    Subscription,
)


@dataclass(frozen=True)
class Person:
    """A subscriber on a list."""

    email: str
    subscriber_id: int
    list_id: int


def add_person(engine: Engine, email: str, *, list_name: str = "daily") -> Person:
    """An active subscriber of ``list_name``."""
    with transaction(engine) as session:
        result = add_subscriber(session, email=email, list_name=list_name, confirmed=True)
        assert result.subscriber is not None
        assert result.subscription is not None
        return Person(email, result.subscriber.id, result.subscription.list_id)


def add_issue(engine: Engine, day: dt.date, *, subject: str = "AI 日报") -> int:
    """A sent issue of ``day`` with a stored rendering; returns its id."""
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        issue = Issue(
            date=day,
            subject=subject,
            summary="",
            preheader="",
            sections=[],
            status=IssueStatus.SENT,
            rendered_subject=subject,
            rendered_html="<html><body>issue</body></html>",
            rendered_text="issue",
            rendered_at=now,
            sent_at=now,
        )
        session.add(issue)
        session.flush()
        return issue.id


def add_delivery(
    engine: Engine,
    person: Person,
    issue_id: int,
    *,
    message_id: str | None,
    state: DeliveryState = DeliveryState.SENT,
    sent_at: dt.datetime | None = None,
) -> int:
    """A ledger row for ``person`` and the issue; returns its id."""
    with transaction(engine) as session:
        row = Delivery(
            issue_id=issue_id,
            subscriber_id=person.subscriber_id,
            list_id=person.list_id,
            state=state,
            message_id=message_id,
            sent_at=sent_at or dt.datetime.now(dt.UTC),
        )
        session.add(row)
        session.flush()
        return row.id


EventRow = tuple[str, str, int | None, str, str, str, str, str]


def event_rows(engine: Engine) -> list[EventRow]:
    """Every recorded event: (type, message id, delivery id, bounce type, sub-type,
    diagnostic, link, link tag), in the order recorded."""
    with transaction(engine) as session:
        rows = session.execute(
            select(
                DeliveryEvent.type,
                DeliveryEvent.message_id,
                DeliveryEvent.delivery_id,
                DeliveryEvent.bounce_type,
                DeliveryEvent.bounce_subtype,
                DeliveryEvent.diagnostic,
                DeliveryEvent.link,
                DeliveryEvent.link_tag,
            ).order_by(DeliveryEvent.id)
        ).all()
    return [(str(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in rows]


@dataclass(frozen=True)
class DbState:
    """Everything feedback could change: the audience and the recorded events."""

    subscriptions: tuple[tuple[int, int, str], ...]
    subscribers: tuple[tuple[int, str, int], ...]
    subscriber_events: int
    lists: int
    events: tuple[EventRow, ...]


def db_state(engine: Engine) -> DbState:
    """A snapshot of the tables feedback writes."""
    with transaction(engine) as session:
        subs = session.execute(
            select(Subscription.subscriber_id, Subscription.list_id, Subscription.status).order_by(
                Subscription.id
            )
        ).all()
        people = session.execute(
            select(Subscriber.id, Subscriber.status, Subscriber.soft_bounces).order_by(
                Subscriber.id
            )
        ).all()
        history = session.scalar(select(func.count()).select_from(SubscriberEvent)) or 0
        lists = session.scalar(select(func.count()).select_from(MailingList)) or 0
    return DbState(
        tuple((a, b, str(c)) for a, b, c in subs),
        tuple((a, str(b), c) for a, b, c in people),
        history,
        lists,
        tuple(event_rows(engine)),
    )


def subscriber_status(engine: Engine, subscriber_id: int) -> str:
    """The address's global status."""
    return next(s[1] for s in db_state(engine).subscribers if s[0] == subscriber_id)


def history_of(engine: Engine, subscriber_id: int) -> list[SubscriberEvent]:
    """The subscriber's events, oldest first."""
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(SubscriberEvent)
                .where(SubscriberEvent.subscriber_id == subscriber_id)
                .order_by(SubscriberEvent.id)
            )
        )

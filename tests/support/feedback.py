"""Factories for the feedback tests: deliveries, and snapshots of the tables feedback writes
(people and issues come from ``tests.support.factories``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select

from newsletter.audience import get_or_create_list
from newsletter.db import transaction
from newsletter.models import Delivery, DeliveryEvent, DeliveryEventType, DeliveryState, Subscriber
from tests.support import audience
from tests.support.factories import Person, add_issue


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
class DbState(audience.DbState):
    """Everything feedback could change: the audience and the recorded delivery events."""

    delivery_events: tuple[EventRow, ...]


def db_state(engine: Engine) -> DbState:
    """A snapshot of the tables feedback writes."""
    state = audience.db_state(engine)
    return DbState(
        state.subscriptions,
        state.subscribers,
        state.events,
        state.lists,
        tuple(event_rows(engine)),
    )


def subscriber_status(engine: Engine, subscriber_id: int) -> str:
    """The address's global status."""
    return next(s[1] for s in db_state(engine).subscribers if s[0] == subscriber_id)


def mass_history(
    engine: Engine,
    *,
    complaints: int,
    hard_bounces: int,
    sent: int = 10_000,
    list_name: str = "big",
) -> int:
    """``sent`` messages to the list ``list_name`` (made when missing) two days ago, of an
    issue of 2025-08-20, ``complaints`` of them complained of and ``hard_bounces`` bounced
    for good; returns the list id."""
    issue_id = add_issue(engine, dt.date(2025, 8, 20))
    now = dt.datetime.now(dt.UTC)
    with transaction(engine) as session:
        mailing_list = get_or_create_list(session, list_name)
        session.execute(
            insert(Subscriber),
            [{"email": None, "email_hash": f"{n:064x}", "attributes": {}} for n in range(sent)],
        )
        ids = list(session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
        session.execute(
            insert(Delivery),
            [
                {
                    "issue_id": issue_id,
                    "subscriber_id": sid,
                    "list_id": mailing_list.id,
                    "state": DeliveryState.SENT,
                    "message_id": f"g-{sid}",
                    "sent_at": now - dt.timedelta(days=2),
                }
                for sid in ids
            ],
        )
        delivery_ids = list(session.scalars(select(Delivery.id).order_by(Delivery.id)))
        rows = [
            {"type": DeliveryEventType.COMPLAINT, "delivery_id": d, "bounce_type": ""}
            for d in delivery_ids[:complaints]
        ] + [
            {"type": DeliveryEventType.BOUNCE, "delivery_id": d, "bounce_type": "Permanent"}
            for d in delivery_ids[-hard_bounces:]
        ][: hard_bounces or 0]
        session.execute(
            insert(DeliveryEvent),
            [
                {**row, "event_key": f"k-{n}", "occurred_at": now, "message_id": f"x-{n}"}
                for n, row in enumerate(rows)
            ],
        )
        return mailing_list.id

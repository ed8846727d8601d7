"""Who receives an issue: the mailable subscribers of a list, read in keyset batches.

Mailable means: an active subscription to the list, the subscriber's global status ok, an
address (not erased), and the address hash not suppressed. The same rule is checked again,
in SQL, at the moment each message is claimed (:mod:`newsletter.sending.ledger`), so an
unsubscribe, bounce or complaint that lands during a send stops the mail that follows it.

Batches are keyset-paginated by subscriber id (``WHERE id > last ORDER BY id LIMIT n``), so
memory stays flat and no batch re-reads the ones before it, at any list size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Engine, and_, exists, func, select

from newsletter.audience.mailable import good_standing
from newsletter.models import (
    Delivery,
    DeliveryState,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)

BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class RecipientRow:
    """One subscriber to mail, as read from the database."""

    subscriber_id: int
    email: str
    name: str
    language: str = ""


def _active_where(list_id: int) -> ColumnElement[bool]:
    return and_(
        Subscription.list_id == list_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        good_standing(),
    )


def active_batches(
    engine: Engine, *, list_id: int, batch_size: int = BATCH_SIZE, after: int = 0
) -> Iterator[list[RecipientRow]]:
    """The mailable subscribers of ``list_id`` in id order, ``batch_size`` at a time.

    Each batch is read in its own short connection, so a long send holds no read snapshot.
    """
    while True:
        query = (
            select(Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.language)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(_active_where(list_id), Subscriber.id > after)
            .order_by(Subscriber.id)
            .limit(batch_size)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield [RecipientRow(r[0], r[1] or "", r[2] or "", r[3] or "") for r in rows]
        after = rows[-1][0]


def count_to_send(engine: Engine, *, issue_id: int, list_id: int) -> int:
    """Mailable subscribers of the list with no finished delivery of the issue yet."""
    done = exists(
        select(Delivery.id).where(
            Delivery.issue_id == issue_id,
            Delivery.subscriber_id == Subscriber.id,
            Delivery.state != DeliveryState.QUEUED,
        )
    )
    query = (
        select(func.count())
        .select_from(Subscriber)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(_active_where(list_id), ~done)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())

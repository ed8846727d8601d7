"""The deliveries ledger: one row per (issue, subscriber), what makes a send exactly-once.

Life of a row::

    queued --claim--> sending --SES took it--> sent (with SES's message id)
                         |--refused--> failed (with the reason)
                         |--kept failing--> deferred (retried by `send retry`)
                         '--transient / account stop--> queued again
    queued --not mailable any more--> skipped (with the reason)

A row is committed as ``sending`` *before* the API call and as ``sent`` right after it, so
the only rows whose fate is unknown after a crash are those left ``sending``: the next run
reports them as uncertain and, by default, sends them again (see :func:`take_uncertain`).
All statements here are SQLAlchemy Core on short transactions; nothing is held in memory
beyond one batch.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from sqlalchemy import (
    Engine,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from newsletter.audience.mailable import mailable_condition
from newsletter.db import rowcount
from newsletter.models import Delivery, DeliveryState, Subscriber
from newsletter.models.base import utcnow
from newsletter.sending.recipients import BATCH_SIZE, RecipientRow

#: Error text of rows left ``sending`` by a crashed run (kept on the row for the record).
UNCERTAIN_RESENT = "uncertain: an earlier run crashed while sending it; sent again"
UNCERTAIN_SKIPPED = "uncertain: an earlier run crashed while sending it; left (--uncertain skip)"
NOT_MAILABLE = "not mailable when its turn came (unsubscribed, bounced, complained or erased)"
#: How many uncertain subscriber ids a report lists (the count is always complete).
UNCERTAIN_LIST_MAX = 1000


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send: a queued ledger row and its recipient."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    #: The subscriber's language tag ("" for the list's language).
    language: str = ""


class Outcome(enum.Enum):
    """What happened to a claimed row."""

    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"
    REQUEUED = "requeued"


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of one claimed row, to be written to the ledger."""

    delivery_id: int
    outcome: Outcome
    message_id: str = ""
    error: str = ""


def plan_batch(
    engine: Engine,
    *,
    issue_id: int,
    list_id: int,
    rows: Sequence[RecipientRow],
    write_lock: AbstractContextManager[object] | None = None,
) -> list[Job]:
    """Make sure every subscriber of ``rows`` has a ledger row; the queued ones become jobs.

    ``write_lock`` is held while writing: the ledger writer's lock, so that the two writers of
    one process take turns instead of waiting on SQLite's busy timeout.
    """
    if not rows:
        return []
    ids = [r.subscriber_id for r in rows]
    with engine.connect() as conn:
        known = set(
            conn.execute(
                select(Delivery.subscriber_id).where(
                    Delivery.issue_id == issue_id, Delivery.subscriber_id.in_(ids)
                )
            ).scalars()
        )
    missing = [r for r in rows if r.subscriber_id not in known]
    if missing:
        now = utcnow()
        with write_lock or nullcontext(), engine.begin() as conn:
            conn.execute(
                insert(Delivery),
                [
                    {
                        "issue_id": issue_id,
                        "subscriber_id": r.subscriber_id,
                        "list_id": list_id,
                        "state": DeliveryState.QUEUED,
                        "attempts": 0,
                        "error": "",
                        "updated_at": now,
                    }
                    for r in missing
                ],
            )
    with engine.connect() as conn:
        queued = conn.execute(
            select(Delivery.id, Delivery.subscriber_id).where(
                Delivery.issue_id == issue_id,
                Delivery.subscriber_id.in_(ids),
                Delivery.state == DeliveryState.QUEUED,
            )
        ).all()
    by_subscriber = {r.subscriber_id: r for r in rows}
    jobs = []
    for delivery_id, subscriber_id in sorted(queued, key=lambda q: q[1]):
        r = by_subscriber[subscriber_id]
        jobs.append(Job(delivery_id, subscriber_id, r.email, r.name, r.language))
    return jobs


def queued_batches(
    engine: Engine, *, issue_id: int, list_id: int, batch_size: int = BATCH_SIZE
) -> Iterator[list[Job]]:
    """The queued rows of the issue on ``list_id`` with their recipients, in subscriber order."""
    after = 0
    while True:
        query = (
            select(
                Delivery.id,
                Delivery.subscriber_id,
                Subscriber.email,
                Subscriber.name,
                Subscriber.language,
            )
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(
                Delivery.issue_id == issue_id,
                Delivery.list_id == list_id,
                Delivery.state == DeliveryState.QUEUED,
                Delivery.subscriber_id > after,
            )
            .order_by(Delivery.subscriber_id)
            .limit(batch_size)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield [Job(r[0], r[1], r[2] or "", r[3] or "", r[4] or "") for r in rows]
        after = rows[-1][1]


def take_uncertain(session: Session, *, issue_id: int, resend: bool) -> tuple[int, list[int]]:
    """Deal with rows a crashed run left ``sending``: queue them again, or mark them skipped.

    Called while holding the run lock, so no live run owns them. Returns the count and up
    to :data:`UNCERTAIN_LIST_MAX` subscriber ids, for the report.
    """
    where = (Delivery.issue_id == issue_id, Delivery.state == DeliveryState.SENDING)
    count = session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0
    if not count:
        return 0, []
    ids = list(
        session.scalars(
            select(Delivery.subscriber_id)
            .where(*where)
            .order_by(Delivery.subscriber_id)
            .limit(UNCERTAIN_LIST_MAX)
        )
    )
    session.execute(
        update(Delivery)
        .where(*where)
        .values(
            state=DeliveryState.QUEUED if resend else DeliveryState.SKIPPED,
            error=UNCERTAIN_RESENT if resend else UNCERTAIN_SKIPPED,
            updated_at=utcnow(),
        )
    )
    return int(count), ids


def requeue_for_retry(session: Session, *, issue_id: int, list_id: int) -> int:
    """Queue the deferred and failed rows of the issue on ``list_id`` again; returns how many."""
    result = session.execute(
        update(Delivery)
        .where(
            Delivery.issue_id == issue_id,
            Delivery.list_id == list_id,
            Delivery.state.in_([DeliveryState.DEFERRED, DeliveryState.FAILED]),
        )
        .values(state=DeliveryState.QUEUED, updated_at=utcnow())
    )
    return rowcount(result)


def skip_unmailable(engine: Engine, *, issue_id: int, list_id: int) -> int:
    """After a complete pass: queued rows whose subscriber is no longer mailable are skipped."""
    with engine.begin() as conn:
        result = conn.execute(
            update(Delivery)
            .where(
                Delivery.issue_id == issue_id,
                Delivery.list_id == list_id,
                Delivery.state == DeliveryState.QUEUED,
                ~mailable_condition(subscriber_id=Delivery.subscriber_id, list_id=Delivery.list_id),
            )
            .values(state=DeliveryState.SKIPPED, error=NOT_MAILABLE, updated_at=utcnow())
        )
        return int(result.rowcount)


def state_counts(engine: Engine, *, issue_id: int) -> dict[DeliveryState, int]:
    """Ledger rows of the issue by state (every state present, zero when none)."""
    counts = dict.fromkeys(DeliveryState, 0)
    with engine.connect() as conn:
        query = (
            select(Delivery.state, func.count())
            .where(Delivery.issue_id == issue_id)
            .group_by(Delivery.state)
        )
        for state, n in conn.execute(query):
            counts[DeliveryState(state)] = int(n)
    return counts


def uncertain_count(engine: Engine, *, issue_id: int) -> int:
    """Rows of the issue that carry an uncertain note (re-sent or left)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.issue_id == issue_id, Delivery.error.like("uncertain%"))
            ).scalar_one()
        )


def oldest_send_within(engine: Engine, *, hours: float = 24.0) -> dt.datetime | None:
    """When the oldest message this service sent in the last ``hours`` went out (UTC)."""
    since = utcnow() - dt.timedelta(hours=hours)
    with engine.connect() as conn:
        return conn.execute(
            select(func.min(Delivery.sent_at)).where(Delivery.sent_at >= since)
        ).scalar_one()

"""The deliveries ledger: one row per (issue, subscriber), what makes a send exactly-once.

Life of a row::

    (planned) --> queued --claim--> sending --SES took it--> sent (with SES's message id)
                                       |--refused--> failed (with the reason)
                                       |--kept failing--> deferred (retried by `send retry`)
                                       '--transient / account stop--> queued again
                  queued --not mailable any more--> skipped (with the reason)
    sending, its worker dead --settle--> queued (resend) or skipped (--uncertain skip),
                                         with ``uncertain`` set for good

A row is committed as ``sending`` *before* the API call and as ``sent`` right after it, so
the only rows whose fate is unknown after a crash are those left ``sending``: they are
marked ``uncertain`` and, by default, sent again.

Every transition has one owner here: a statement builder (``*_statement``) that the
per-message path (:mod:`newsletter.sending.worker.driver`) compiles once and executes on the
driver's cursor, or a function running it through SQLAlchemy. All on short transactions.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Engine,
    Update,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from newsletter.audience.mailable import good_standing, mailable_condition
from newsletter.db import insert_skipping_duplicates, rowcount
from newsletter.models import (
    Delivery,
    DeliveryState,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from newsletter.models.base import utcnow

NOT_MAILABLE = "not mailable when its turn came (unsubscribed, bounced, complained or erased)"
UNCERTAIN_RESENT = "uncertain: a worker died while sending it; sent again"
UNCERTAIN_SKIPPED = "uncertain: a worker died while sending it; left (--uncertain skip)"
#: How many uncertain subscriber ids a report lists (the count is always complete).
UNCERTAIN_LIST_MAX = 1000
#: Subscriber ids covered by one INSERT ... SELECT when a run plans its ledger rows.
PLAN_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class Job:
    """One message to send: a queued ledger row and its recipient."""

    delivery_id: int
    subscriber_id: int
    email: str
    name: str
    #: The subscriber's language tag ("" for the list's language).
    language: str = ""
    #: The subscriber's tracking choice: None follows the list, False declines it.
    tracking: bool | None = None


class Verdict(enum.Enum):
    """What became of a claimed row (the result a worker hands to the ledger writer)."""

    SENT = "sent"
    FAILED = "failed"
    DEFERRED = "deferred"
    REQUEUED = "requeued"


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on one claimed row, to be written to the ledger."""

    delivery_id: int
    verdict: Verdict
    message_id: str = ""
    error: str = ""


STATE_OF = {
    Verdict.FAILED: DeliveryState.FAILED,
    Verdict.DEFERRED: DeliveryState.DEFERRED,
    Verdict.REQUEUED: DeliveryState.QUEUED,
}


# --- statement builders: the per-message transitions -------------------------------------


def _ids(prefix: str, count: int) -> list[BindParameter[int]]:
    return [bindparam(f"{prefix}{i}") for i in range(count)]


def claim_statement(count: int, *, skip_locked: bool) -> Update:
    """queued -> sending for ``count`` rows (binds ``d_id0..``, ``d_now``), RETURNING the ids.

    Each row is claimed on its own conditions: still queued, subscriber still mailable. With
    ``skip_locked`` (PostgreSQL) a row another worker is claiming at this moment is passed
    over (``FOR UPDATE SKIP LOCKED``) instead of waited for: no row is claimed twice.
    """
    ids = _ids("d_id", count)
    queued = and_(Delivery.id.in_(ids), Delivery.state == DeliveryState.QUEUED)
    if skip_locked:
        free = select(Delivery.id).where(queued).with_for_update(skip_locked=True)
        where: ColumnElement[bool] = Delivery.id.in_(free.scalar_subquery())
    else:
        where = queued
    return (
        update(Delivery)
        .where(
            where,
            mailable_condition(subscriber_id=Delivery.subscriber_id, list_id=Delivery.list_id),
        )
        .values(
            state=DeliveryState.SENDING,
            attempts=Delivery.attempts + 1,
            updated_at=bindparam("d_now"),
        )
        .returning(Delivery.id)
    )


def skip_statement(count: int) -> Update:
    """queued -> skipped (not mailable) for ``count`` rows, RETURNING the ids skipped."""
    return (
        update(Delivery)
        .where(Delivery.id.in_(_ids("d_id", count)), Delivery.state == DeliveryState.QUEUED)
        .values(state=DeliveryState.SKIPPED, error=NOT_MAILABLE, updated_at=bindparam("d_now"))
        .returning(Delivery.id)
    )


def sent_statement(count: int) -> Update:
    """sending -> sent for ``count`` rows, each with its message id (binds ``d_mid0..``)."""
    ids = _ids("d_id", count)
    mids: list[BindParameter[str]] = [bindparam(f"d_mid{i}") for i in range(count)]
    message_id = case(*((Delivery.id == i, m) for i, m in zip(ids, mids, strict=True)))
    return (
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(
            state=DeliveryState.SENT,
            message_id=message_id,
            sent_at=bindparam("d_now"),
            updated_at=bindparam("d_now"),
            # Notes of failed attempts go; an uncertain re-send keeps its note.
            error=case((Delivery.uncertain, Delivery.error), else_=""),
        )
    )


def verdict_statement() -> Update:
    """sending -> failed | deferred | queued (binds ``d_id``, ``d_state``, ``d_err``)."""
    return (
        update(Delivery)
        .where(Delivery.id == bindparam("d_id"))
        .values(
            state=bindparam("d_state"),
            error=bindparam("d_err"),
            updated_at=bindparam("d_now"),
        )
    )


# --- planning a run -------------------------------------------------------------------------


def _recipients_where(list_id: int) -> ColumnElement[bool]:
    return and_(
        Subscription.list_id == list_id,
        Subscription.status == SubscriptionStatus.ACTIVE,
        good_standing(),
    )


def plan_rows(engine: Engine, *, issue_id: int, list_id: int) -> int:
    """(planned) -> queued: a ledger row for every mailable subscriber of the list with none.

    One ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per :data:`PLAN_CHUNK` subscriber
    ids, each its own short transaction (a crash in between leaves rows the next run simply
    keeps). Returns how many rows were added.

    Rows already there are skipped by the (issue, subscriber) unique index, not by a
    ``NOT EXISTS`` on the ledger: on a ledger the planner has no statistics for yet (a
    first send), PostgreSQL ran that anti-join over the issue's index, re-reading the rows
    the statement itself was inserting: quadratic, 13.5 s for 20,000 readers.
    """
    with engine.connect() as conn:
        top = conn.execute(select(func.max(Subscriber.id))).scalar_one() or 0
    added = 0
    for low in range(0, top, PLAN_CHUNK):
        source = (
            select(
                literal(issue_id),
                Subscriber.id,
                literal(list_id),
                literal(DeliveryState.QUEUED, type_=Delivery.__table__.c.state.type),
                literal(0),
                literal(""),
                literal(utcnow(), type_=Delivery.__table__.c.updated_at.type),
                false(),
            )
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(
                _recipients_where(list_id),
                Subscriber.id > low,
                Subscriber.id <= low + PLAN_CHUNK,
            )
        )
        columns = [
            "issue_id",
            "subscriber_id",
            "list_id",
            "state",
            "attempts",
            "error",
            "updated_at",
            "uncertain",
        ]
        # RETURNING counts what was inserted: psycopg reports no row count for this form.
        stmt = (
            insert_skipping_duplicates(
                Delivery, dialect=engine.dialect.name, keys=("issue_id", "subscriber_id")
            )
            .from_select(columns, source)
            .returning(Delivery.__table__.c.id)
        )
        with engine.begin() as conn:
            added += len(conn.execute(stmt).all())
    return added


def queued_ids(engine: Engine, *, issue_id: int, list_id: int, page: int = 10_000) -> Iterator[int]:
    """Subscriber ids of the queued rows of the issue on the list, in order (keyset pages)."""
    after = 0
    while True:
        with engine.connect() as conn:
            ids = list(
                conn.execute(
                    select(Delivery.subscriber_id)
                    .where(
                        Delivery.issue_id == issue_id,
                        Delivery.list_id == list_id,
                        Delivery.state == DeliveryState.QUEUED,
                        Delivery.subscriber_id > after,
                    )
                    .order_by(Delivery.subscriber_id)
                    .limit(page)
                ).scalars()
            )
        if not ids:
            return
        yield from ids
        after = ids[-1]


def queued_jobs(
    engine: Engine,
    *,
    issue_id: int,
    list_id: int,
    first: int,
    last: int,
    batch_size: int,
) -> Iterator[list[Job]]:
    """The queued rows with subscriber ids in ``first..last`` and their recipients, in order."""
    after = first - 1
    while True:
        query = (
            select(
                Delivery.id,
                Delivery.subscriber_id,
                Subscriber.email,
                Subscriber.name,
                Subscriber.language,
                Subscriber.tracking,
            )
            .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
            .where(
                Delivery.issue_id == issue_id,
                Delivery.list_id == list_id,
                Delivery.state == DeliveryState.QUEUED,
                Delivery.subscriber_id > after,
                Delivery.subscriber_id <= last,
            )
            .order_by(Delivery.subscriber_id)
            .limit(batch_size)
        )
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield [Job(r[0], r[1], r[2] or "", r[3] or "", r[4] or "", r[5]) for r in rows]
        after = rows[-1][1]


def settle_uncertain(
    session: Session,
    *,
    issue_id: int,
    resend: bool,
    first: int | None = None,
    last: int | None = None,
) -> tuple[int, list[int]]:
    """sending -> queued (``resend``) or skipped, marked uncertain: rows a dead worker left.

    The caller makes sure no live worker owns them: the run lock for the whole issue, or
    the slice ``first..last`` taken over from a dead worker. Returns the count and up to
    :data:`UNCERTAIN_LIST_MAX` subscriber ids, for the report.
    """
    where = [Delivery.issue_id == issue_id, Delivery.state == DeliveryState.SENDING]
    if first is not None and last is not None:
        where += [Delivery.subscriber_id >= first, Delivery.subscriber_id <= last]
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
            uncertain=true(),
            error=UNCERTAIN_RESENT if resend else UNCERTAIN_SKIPPED,
            updated_at=utcnow(),
        )
    )
    return int(count), ids


def requeue_for_retry(session: Session, *, issue_id: int, list_id: int) -> int:
    """deferred | failed -> queued for the issue on ``list_id``; returns how many."""
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
    """queued -> skipped after a complete pass, for subscribers no longer mailable."""
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


def count_mailable_queued(engine: Engine, *, issue_id: int, list_id: int) -> int:
    """Queued rows of the issue on the list whose subscriber may be mailed now."""
    query = (
        select(func.count())
        .select_from(Delivery)
        .where(
            Delivery.issue_id == issue_id,
            Delivery.list_id == list_id,
            Delivery.state == DeliveryState.QUEUED,
            mailable_condition(subscriber_id=Delivery.subscriber_id, list_id=Delivery.list_id),
        )
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def count_to_plan(engine: Engine, *, issue_id: int, list_id: int) -> int:
    """Mailable subscribers of the list with no finished delivery of the issue (dry runs)."""
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
        .where(_recipients_where(list_id), ~done)
    )
    with engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


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
    """Rows of the issue marked uncertain (re-sent or left)."""
    with engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.issue_id == issue_id, Delivery.uncertain)
            ).scalar_one()
        )


def oldest_send_within(engine: Engine, *, hours: float = 24.0) -> dt.datetime | None:
    """When the oldest message this service sent in the last ``hours`` went out (UTC)."""
    since = utcnow() - dt.timedelta(hours=hours)
    with engine.connect() as conn:
        return conn.execute(
            select(func.min(Delivery.sent_at)).where(Delivery.sent_at >= since)
        ).scalar_one()

"""Slices: a run's queued rows cut into ranges of subscriber ids, the unit a worker takes.

The run plans its slices once (:func:`make_slices`). A local worker takes the next open one
with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL (two workers never take the same
slice, and neither waits for the other); an SQS message names one slice
(:func:`take_slice`). A slice taken by a worker that died is open to the others again: its
rows left ``sending`` are settled as uncertain first, by the run's policy.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from newsletter.db import transaction
from newsletter.models import SendRun, SendSlice, SliceState
from newsletter.models.base import utcnow
from newsletter.sending import ledger

#: Rows in a slice taken by a local worker (an SQS slice is sized by the rate: see fanout).
SLICE_ROWS = 1000


@dataclass(frozen=True, slots=True)
class Slice:
    """One slice of a run: subscriber ids ``first..last`` (inclusive)."""

    id: int
    first: int
    last: int
    rows: int


class Taken(enum.Enum):
    """Answer to a request for one named slice."""

    YES = "yes"
    DONE = "done"
    BUSY = "busy"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class TakeResult:
    """A slice taken (or why not), and how many uncertain rows a dead owner left in it."""

    taken: Taken
    slice: Slice | None = None
    uncertain: int = 0
    uncertain_ids: tuple[int, ...] = ()


def make_slices(
    engine: Engine, *, run_id: int, issue_id: int, list_id: int, rows_per_slice: int
) -> list[Slice]:
    """Cut the queued rows of the issue on the list into slices of ``rows_per_slice`` rows."""
    bounds: list[tuple[int, int, int]] = []
    first = last = count = 0
    for sid in ledger.queued_ids(engine, issue_id=issue_id, list_id=list_id):
        if count == 0:
            first = sid
        last = sid
        count += 1
        if count == rows_per_slice:
            bounds.append((first, last, count))
            count = 0
    if count:
        bounds.append((first, last, count))
    now = utcnow()
    with transaction(engine) as session:
        rows = [
            SendSlice(
                run_id=run_id,
                first_subscriber_id=a,
                last_subscriber_id=b,
                rows=n,
                state=SliceState.OPEN,
                updated_at=now,
            )
            for a, b, n in bounds
        ]
        session.add_all(rows)
        session.flush()
        return [Slice(r.id, a, b, n) for r, (a, b, n) in zip(rows, bounds, strict=True)]


def _take(
    session: Session, row: SendSlice, *, worker_id: int, issue_id: int, resend: bool
) -> TakeResult:
    uncertain, ids = 0, list[int]()
    if row.state is SliceState.TAKEN:
        # Its worker is dead: what it left "sending" may or may not have gone out.
        uncertain, ids = ledger.settle_uncertain(
            session,
            issue_id=issue_id,
            resend=resend,
            first=row.first_subscriber_id,
            last=row.last_subscriber_id,
        )
    row.state = SliceState.TAKEN
    row.worker_id = worker_id
    row.taken += 1
    row.updated_at = utcnow()
    found = Slice(row.id, row.first_subscriber_id, row.last_subscriber_id, row.rows)
    return TakeResult(Taken.YES, found, uncertain, tuple(ids))


def _run_facts(session: Session, run_id: int) -> tuple[int, bool]:
    run = session.get(SendRun, run_id)
    assert run is not None
    return run.issue_id, run.uncertain_policy != "skip"


def take_next(
    engine: Engine, *, run_id: int, worker_id: int, dead: Collection[int]
) -> TakeResult | None:
    """The next open slice of the run (or one a dead worker held), taken; None if none."""
    with transaction(engine) as session:
        query = (
            select(SendSlice)
            .where(
                SendSlice.run_id == run_id,
                or_(
                    SendSlice.state == SliceState.OPEN,
                    (SendSlice.state == SliceState.TAKEN) & SendSlice.worker_id.in_(list(dead)),
                ),
            )
            .order_by(SendSlice.first_subscriber_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = session.scalar(query)
        if row is None:
            return None
        issue_id, resend = _run_facts(session, run_id)
        return _take(session, row, worker_id=worker_id, issue_id=issue_id, resend=resend)


def take_slice(
    engine: Engine, *, run_id: int, slice_id: int, worker_id: int, dead: Collection[int]
) -> TakeResult:
    """Take the slice ``slice_id`` of the run (an SQS message names it).

    DONE when it was finished before (a redelivered message: nothing to send), BUSY when a
    live worker holds it (or is taking it right now), MISSING when the run has no such slice.
    """
    with transaction(engine) as session:
        row = session.scalar(
            select(SendSlice)
            .where(SendSlice.id == slice_id, SendSlice.run_id == run_id)
            .with_for_update(skip_locked=True)
        )
        if row is None:
            exists = session.scalar(
                select(SendSlice.id).where(SendSlice.id == slice_id, SendSlice.run_id == run_id)
            )
            return TakeResult(Taken.BUSY if exists else Taken.MISSING)
        if row.state is SliceState.DONE:
            return TakeResult(Taken.DONE)
        if row.state is SliceState.TAKEN and row.worker_id not in dead:
            return TakeResult(Taken.BUSY)
        issue_id, resend = _run_facts(session, run_id)
        return _take(session, row, worker_id=worker_id, issue_id=issue_id, resend=resend)


def release_slice(engine: Engine, *, slice_id: int, worker_id: int, done: bool) -> None:
    """The worker is through with the slice: done, or open again (it stopped part-way)."""
    with engine.begin() as conn:
        conn.execute(
            update(SendSlice)
            .where(SendSlice.id == slice_id, SendSlice.worker_id == worker_id)
            .values(
                state=SliceState.DONE if done else SliceState.OPEN,
                worker_id=worker_id if done else None,
                updated_at=utcnow(),
            )
        )


def slice_exists(engine: Engine, *, run_id: int, slice_id: int) -> bool:
    """True when the run has a slice ``slice_id``."""
    with engine.connect() as conn:
        found = conn.execute(
            select(SendSlice.id).where(SendSlice.id == slice_id, SendSlice.run_id == run_id)
        ).first()
    return found is not None


def slice_counts(engine: Engine, *, run_id: int) -> dict[SliceState, int]:
    """Slices of the run by state (every state present)."""
    counts = dict.fromkeys(SliceState, 0)
    with engine.connect() as conn:
        for state, n in conn.execute(
            select(SendSlice.state, func.count())
            .where(SendSlice.run_id == run_id)
            .group_by(SendSlice.state)
        ):
            counts[SliceState(state)] = int(n)
    return counts

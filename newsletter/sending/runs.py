"""The send tables: every statement on ``send_runs``, ``send_workers`` and ``send_slices``.

As :mod:`.ledger` owns the deliveries, this module owns the run's own records; nothing else
in the send writes them. Four parts:

* **The run lock**: one running send per issue, enforced by the database. A running
  :class:`~newsletter.models.SendRun` holds ``running_issue_id = issue.id``; that column is
  unique, so a second concurrent send of the same issue fails to insert its row and refuses
  with a clear message, whatever the timing.
* **Heartbeats, one rule**: every live worker beats every :data:`HEARTBEAT_EVERY` seconds,
  on its own row and on the run's (:func:`beat`). A worker, or a run, whose heartbeat is
  :data:`STALE_AFTER` seconds old (or whose process on this host is gone) is dead: its slice
  is free, and the run is taken over.
* **Slices**: the run's queued rows cut into ranges of subscriber ids, the unit a worker
  takes (see :func:`make_slices`).
* **The run's shares**: its rate clock (:class:`RunSlots`, for
  :mod:`.worker.rate`) and its 24-hour quota (:func:`draw_quota`).
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import secrets
import socket
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, Update, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsletter.db import rowcount, transaction
from newsletter.errors import StateError
from newsletter.models import (
    Issue,
    MailingList,
    SendRun,
    SendRunStatus,
    SendSlice,
    SendWorker,
    SliceState,
)
from newsletter.models.base import utcnow
from newsletter.sending import ledger

if TYPE_CHECKING:
    # Only a type here: decision.py needs the breaker, which needs this module.
    from newsletter.sending.decision import RunDecision

#: Seconds between two heartbeats of a live worker (on its row and on its run's).
HEARTBEAT_EVERY = 2.0
#: Seconds without a heartbeat after which a worker, or a run, counts as dead: its slice is
#: free, the run is taken over. One rule for both; a worker that could not beat for half of
#: it stops by itself, before anyone counts it dead.
STALE_AFTER = 30.0


class SendLockedError(StateError):
    """Another send of the same issue is running."""


@dataclass(frozen=True)
class RunFacts:
    """The one description of a send run, as its record holds it: what the planner locked
    and decided, and what every worker (local, `send work`, an SQS Lambda) reads."""

    run_id: int
    issue_id: int
    issue_date: str
    list_id: int
    list_name: str
    #: ``host:pid:random`` of the process that planned the run.
    owner: str
    #: Messages a second for the whole run (None: no limit), shared through its rate clock.
    rate: float | None
    #: What is left of the provider's 24-hour quota (None: no limit).
    quota_left: float | None
    #: What the planner decided for every worker (None: a run planned before it was stored).
    decision: RunDecision | None = None
    #: ``send`` or ``retry``.
    mode: str = "send"
    #: When the run began (the breaker counts its bounces and complaints from then).
    started_at: dt.datetime | None = None
    #: A line about a dead run this one took over, or "" (only for the planner).
    took_over: str = ""


def make_owner() -> str:
    """``host:pid:random``: who holds a lock (the random part tells runs of one pid apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _zombie(pid: int) -> bool:
    # A process killed with SIGKILL can stay a zombie under a container's init, and
    # os.kill(pid, 0) still succeeds for it: its state in /proc says Z.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return False
    # The state follows the command name, which is in parentheses and may hold spaces.
    fields = stat.rpartition(")")[2].split()
    return bool(fields) and fields[0] in ("Z", "X")


def owner_is_dead(owner: str) -> bool:
    """True when ``owner`` is a process on this host that no longer exists (or is a zombie)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    return process_gone(pid)


def process_gone(pid: int) -> bool:
    """True when process ``pid`` of this host no longer exists or is a zombie (one it does
    not own counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _zombie(pid)


def worker_is_dead(worker: SendWorker, *, now: dt.datetime, stale_after: float) -> bool:
    """The worker ended, went quiet for ``stale_after`` seconds, or its process is gone."""
    if not worker.live:
        return True
    if (now - worker.heartbeat_at).total_seconds() >= stale_after:
        return True
    return owner_is_dead(worker.owner)


def _live_workers(session: Session, *, run_id: int, now: dt.datetime, stale_after: float) -> int:
    rows = session.scalars(select(SendWorker).where(SendWorker.run_id == run_id, SendWorker.live))
    return sum(1 for w in rows if not worker_is_dead(w, now=now, stale_after=stale_after))


def acquire(
    session: Session,
    *,
    issue: Issue,
    mailing_list: MailingList,
    owner: str,
    rate: float | None,
    quota_left: float | None,
    mode: str,
    uncertain_policy: str,
    decision: RunDecision | None,
    stale_after: float = STALE_AFTER,
) -> RunFacts:
    """Insert this process's running send of ``issue`` with what it decided, and return it;
    :class:`SendLockedError` if another send of it lives.

    Runs in the caller's transaction; the lock is held once it commits.
    """
    list_id = mailing_list.id
    now = utcnow()
    running = session.scalar(select(SendRun).where(SendRun.running_issue_id == issue.id))
    took_over = ""
    if running is not None:
        age = (now - running.heartbeat_at).total_seconds()
        # The run's own process may be gone while its workers still send: it lives on.
        dead = owner_is_dead(running.owner) and not _live_workers(
            session, run_id=running.id, now=now, stale_after=stale_after
        )
        if age < stale_after and not dead:
            raise SendLockedError(
                f"another send of the issue of {issue.date.isoformat()} is running "
                f"(run {running.id} by {running.owner}, last heartbeat {age:.0f} s ago); "
                f"it is taken over only when its heartbeat is {stale_after:.0f} s old"
            )
        why = "its process is gone" if dead else f"no heartbeat for {age:.0f} s"
        result = session.execute(
            update(SendRun)
            .where(SendRun.id == running.id, SendRun.running_issue_id == issue.id)
            .values(
                status=SendRunStatus.STOPPED,
                running_issue_id=None,
                finished_at=now,
                stop_reason=f"taken over by {owner}: {why}",
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) != 1:
            raise SendLockedError(
                f"another send of the issue of {issue.date.isoformat()} took over run "
                f"{running.id} at the same moment"
            )
        session.expire(running)
        took_over = f"took over run {running.id} of {running.owner} ({why})"
    run = SendRun(
        issue_id=issue.id,
        list_id=list_id,
        status=SendRunStatus.RUNNING,
        owner=owner,
        started_at=now,
        heartbeat_at=now,
        running_issue_id=issue.id,
        rate=rate,
        quota_left=quota_left,
        uncertain_policy=uncertain_policy,
        mode=mode,
        decision=decision.as_json() if decision is not None else None,
    )
    try:
        # In a savepoint: a concurrent insert fails only it, and the caller's transaction
        # can still be rolled back cleanly with the true reason.
        with session.begin_nested():
            session.add(run)
    except IntegrityError:
        raise SendLockedError(
            f"another send of the issue of {issue.date.isoformat()} started at the same moment"
        ) from None
    return _facts(
        run, issue=issue, list_name=mailing_list.name, decision=decision, took_over=took_over
    )


def _facts(
    run: SendRun,
    *,
    issue: Issue,
    list_name: str,
    decision: RunDecision | None,
    took_over: str = "",
) -> RunFacts:
    return RunFacts(
        run_id=run.id,
        issue_id=issue.id,
        issue_date=issue.date.isoformat(),
        list_id=run.list_id,
        list_name=list_name,
        owner=run.owner,
        rate=run.rate,
        quota_left=run.quota_left,
        decision=decision,
        mode=run.mode,
        started_at=run.started_at,
        took_over=took_over,
    )


def release(engine: Engine, run: RunFacts, *, status: SendRunStatus, reason: str = "") -> None:
    """End the run (finished or stopped) and free the issue for the next run."""
    with engine.begin() as conn:
        conn.execute(
            update(SendRun)
            .where(SendRun.id == run.run_id, SendRun.running_issue_id == run.issue_id)
            .values(
                status=status,
                running_issue_id=None,
                finished_at=utcnow(),
                stop_reason=reason[:2000],
            )
        )


def finished_run(session: Session, *, issue_id: int, list_id: int) -> SendRun | None:
    """A run that sent the issue to the list to the end, if there is one (the issue is out)."""
    return session.scalar(
        select(SendRun)
        .where(
            SendRun.issue_id == issue_id,
            SendRun.list_id == list_id,
            SendRun.status == SendRunStatus.FINISHED,
        )
        .limit(1)
    )


# Slices

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


# Workers and their heartbeats


def register_worker(engine: Engine, *, run_id: int, owner: str) -> int:
    """A new worker row for the run, beating from now; its id."""
    now = utcnow()
    with transaction(engine) as session:
        row = SendWorker(
            run_id=run_id,
            owner=owner,
            started_at=now,
            heartbeat_at=now,
            share=None,
            live=True,
            sent=0,
            failed=0,
            deferred=0,
            skipped=0,
            stop_reason="",
        )
        session.add(row)
        session.flush()
        return row.id


@dataclass(frozen=True, slots=True)
class WorkerCounts:
    """What a worker's row shows of it: its outcomes so far and the pace it drew."""

    sent: int
    failed: int
    deferred: int
    skipped: int
    #: Messages a second drawn from the run's rate clock since the last beat (None: no limit).
    share: float | None

    def columns(self) -> dict[str, float | int | None]:
        """The worker row's columns these counts set."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "deferred": self.deferred,
            "skipped": self.skipped,
            "share": self.share,
        }


def beat(
    engine: Engine, *, run_id: int, issue_id: int | None, worker_id: int, counts: WorkerCounts
) -> bool:
    """The one heartbeat: the worker's row and, when ``issue_id`` is given, the run's.

    False when the run no longer holds the issue's lock (it was taken over, or it ended):
    the worker must stop at once. ``issue_id`` None: the run's row is left alone.
    """
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            update(SendWorker)
            .where(SendWorker.id == worker_id)
            .values(heartbeat_at=now, **counts.columns())
        )
        if issue_id is None:
            return True
        return rowcount(conn.execute(_run_beat(run_id, issue_id, now))) == 1


def _run_beat(run_id: int, issue_id: int, now: dt.datetime) -> Update:
    return (
        update(SendRun)
        .where(SendRun.id == run_id, SendRun.running_issue_id == issue_id)
        .values(heartbeat_at=now)
    )


def beat_run(engine: Engine, run: RunFacts) -> bool:
    """The run's heartbeat alone, for a process that holds the lock but runs no worker (the
    planner while it waits for SES's events); False when the lock is lost."""
    with engine.begin() as conn:
        return rowcount(conn.execute(_run_beat(run.run_id, run.issue_id, utcnow()))) == 1


def end_worker(engine: Engine, *, worker_id: int, counts: WorkerCounts, reason: str) -> None:
    """The worker ended: its row says so, with its final counts and why it stopped."""
    with engine.begin() as conn:
        conn.execute(
            update(SendWorker)
            .where(SendWorker.id == worker_id)
            .values(
                live=False,
                heartbeat_at=utcnow(),
                stop_reason=reason[:2000],
                **{**counts.columns(), "share": None},
            )
        )


def dead_workers(engine: Engine, *, run_id: int, stale_after: float = STALE_AFTER) -> set[int]:
    """Ids of the run's workers that count as dead now."""
    now = utcnow()
    with transaction(engine) as session:
        rows = session.scalars(select(SendWorker).where(SendWorker.run_id == run_id))
        return {w.id for w in rows if worker_is_dead(w, now=now, stale_after=stale_after)}


def worker_totals(engine: Engine, *, run_id: int) -> WorkerCounts:
    """The run's workers summed: their counts, and the pace they drew together."""
    with engine.connect() as conn:
        row = conn.execute(
            select(
                func.coalesce(func.sum(SendWorker.sent), 0),
                func.coalesce(func.sum(SendWorker.failed), 0),
                func.coalesce(func.sum(SendWorker.deferred), 0),
                func.coalesce(func.sum(SendWorker.skipped), 0),
                func.sum(SendWorker.share),
            ).where(SendWorker.run_id == run_id)
        ).one()
    share = None if row[4] is None else float(row[4])
    return WorkerCounts(int(row[0]), int(row[1]), int(row[2]), int(row[3]), share)


def list_slices(engine: Engine, *, run_id: int) -> list[Slice]:
    """The run's slices, in the order they were made."""
    with engine.connect() as conn:
        return [
            Slice(r.id, r.first_subscriber_id, r.last_subscriber_id, r.rows)
            for r in conn.execute(
                select(SendSlice).where(SendSlice.run_id == run_id).order_by(SendSlice.id)
            )
        ]


# The run's shares: its rate clock and its 24-hour quota


class RunSlots:
    """The run's rate clock as a :class:`~newsletter.sending.worker.rate.SlotClock`."""

    def __init__(self, engine: Engine, *, run_id: int) -> None:
        self._engine = engine
        self._run_id = run_id

    def take(self, count: int, *, interval: float, now: float) -> float:
        """Move the run's clock past ``count`` slots from ``max(clock, now)``; the first's time.

        One statement: atomic on both databases (PostgreSQL locks the row for the update,
        SQLite writes one at a time), so no two workers get overlapping slots.
        """
        span = count * interval
        clock = SendRun.rate_next
        start = case((clock.is_(None), now), (clock < now, now), else_=clock)
        with self._engine.begin() as conn:
            end = conn.execute(
                update(SendRun)
                .where(SendRun.id == self._run_id)
                .values(rate_next=start + span)
                .returning(SendRun.rate_next)
            ).scalar_one()
        assert end is not None
        return float(end) - span


def draw_quota(engine: Engine, *, run_id: int, count: int) -> int:
    """Take up to ``count`` from the run's 24-hour quota; how many it got (never below 0)."""
    with engine.begin() as conn:
        left = conn.execute(
            select(SendRun.quota_left).where(SendRun.id == run_id).with_for_update()
        ).scalar_one()
        got = int(min(count, left or 0))
        if got:
            conn.execute(
                update(SendRun)
                .where(SendRun.id == run_id)
                .values(quota_left=SendRun.quota_left - got)
            )
        return got


def give_back_quota(engine: Engine, *, run_id: int, count: int) -> None:
    """Return ``count`` drawn and not spent to the run's quota."""
    if count <= 0:
        return
    with engine.begin() as conn:
        conn.execute(
            update(SendRun)
            .where(SendRun.id == run_id, SendRun.quota_left.is_not(None))
            .values(quota_left=SendRun.quota_left + count)
        )


def running_run(
    engine: Engine, *, issue_id: int | None = None, run_id: int | None = None
) -> RunFacts:
    """The running send of the issue (or the run ``run_id``); :class:`StateError` if none."""
    from newsletter.sending.decision import read_decision

    with transaction(engine) as session:
        query = select(SendRun).where(SendRun.status == SendRunStatus.RUNNING)
        if run_id is not None:
            query = select(SendRun).where(SendRun.id == run_id)
        elif issue_id is not None:
            query = query.where(SendRun.issue_id == issue_id)
        run = session.scalar(query.order_by(SendRun.id.desc()).limit(1))
        if run is None or run.status is not SendRunStatus.RUNNING:
            what = f"run {run_id}" if run_id is not None else "the issue"
            raise StateError(
                f"no send of {what} is running: start one with `newsletter send issue`"
            )
        issue = session.get(Issue, run.issue_id)
        assert issue is not None
        mailing_list = session.get(MailingList, run.list_id)
        assert mailing_list is not None
        return _facts(run, issue=issue, list_name=mailing_list.name, decision=read_decision(run))


# Reading and closing runs beyond the lock


def running_run_id(session: Session, *, issue_id: int) -> int | None:
    """The id of the issue's running send, if there is one."""
    return session.scalar(select(SendRun.id).where(SendRun.running_issue_id == issue_id))


def last_run(session: Session, *, issue_id: int, list_id: int | None = None) -> SendRun | None:
    """The issue's latest send run (to the list, when given)."""
    query = select(SendRun).where(SendRun.issue_id == issue_id)
    if list_id is not None:
        query = query.where(SendRun.list_id == list_id)
    return session.scalar(query.order_by(SendRun.id.desc()).limit(1))


def recent_runs(session: Session, *, issue_id: int, limit: int) -> list[tuple[SendRun, str]]:
    """The issue's latest ``limit`` runs, newest first, each with its list's name."""
    rows = session.execute(
        select(SendRun, MailingList.name)
        .join(MailingList, MailingList.id == SendRun.list_id)
        .where(SendRun.issue_id == issue_id)
        .order_by(SendRun.id.desc())
        .limit(limit)
    ).all()
    return [(run, name) for run, name in rows]


def worker_rows(session: Session, *, run_id: int) -> list[SendWorker]:
    """The run's workers, in the order they joined."""
    query = select(SendWorker).where(SendWorker.run_id == run_id).order_by(SendWorker.id)
    return list(session.scalars(query))


def pause_run(engine: Engine, *, run_id: int, reason: str) -> bool:
    """Stop the run as paused (the first worker to see it does); True if this call did."""
    with engine.begin() as conn:
        result = conn.execute(
            update(SendRun)
            .where(SendRun.id == run_id, SendRun.status == SendRunStatus.RUNNING)
            .values(
                status=SendRunStatus.STOPPED,
                running_issue_id=None,
                finished_at=utcnow(),
                stop_reason=reason[:2000],
            )
        )
        return rowcount(result) == 1


def record_closed_run(
    session: Session, *, issue_id: int, list_id: int, mode: str, reason: str
) -> None:
    """A finished run with nothing sent by it, for the record (an abandoned send's end)."""
    now = utcnow()
    session.add(
        SendRun(
            issue_id=issue_id,
            list_id=list_id,
            status=SendRunStatus.FINISHED,
            owner=make_owner(),
            started_at=now,
            heartbeat_at=now,
            finished_at=now,
            stop_reason=reason[:2000],
            mode=mode,
        )
    )

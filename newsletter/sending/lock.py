"""The run lock: one running send per issue, enforced by the database.

A running :class:`~newsletter.models.SendRun` holds ``running_issue_id = issue.id``; that
column is unique, so a second concurrent send of the same issue fails to insert its row and
refuses with a clear message, whatever the timing. A live run refreshes ``heartbeat_at``
every few seconds. A run whose heartbeat is older than ``stale_after`` seconds, or whose
owner process on this same host no longer exists (it was killed), is taken over.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsletter.db import rowcount
from newsletter.errors import StateError
from newsletter.models import Issue, SendRun, SendRunStatus, SendWorker
from newsletter.models.base import utcnow

#: Seconds without a heartbeat after which a run counts as dead and is taken over.
STALE_AFTER = 60.0
#: Seconds between heartbeats of a live run.
HEARTBEAT_EVERY = 5.0


class SendLockedError(StateError):
    """Another send of the same issue is running."""


@dataclass(frozen=True)
class RunLock:
    """The lock held by this process: its send run."""

    run_id: int
    issue_id: int
    list_id: int
    owner: str
    #: A line about a dead run that was taken over, or "".
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
    list_id: int,
    owner: str,
    stale_after: float = STALE_AFTER,
) -> RunLock:
    """Insert this process's running send of ``issue``; :class:`SendLockedError` if one lives.

    Runs in the caller's transaction; the lock is held once it commits.
    """
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
    )
    session.add(run)
    try:
        session.flush()
    except IntegrityError:
        raise SendLockedError(
            f"another send of the issue of {issue.date.isoformat()} started at the same moment"
        ) from None
    return RunLock(run.id, issue.id, list_id, owner, took_over)


def release(engine: Engine, lock: RunLock, *, status: SendRunStatus, reason: str = "") -> None:
    """End the run (finished or stopped) and free the issue for the next run."""
    with engine.begin() as conn:
        conn.execute(
            update(SendRun)
            .where(SendRun.id == lock.run_id, SendRun.running_issue_id == lock.issue_id)
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

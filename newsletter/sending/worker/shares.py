"""The run's workers and their shares of the rate: the sum is never over the run's rate.

Each worker has a row (:class:`~newsletter.models.SendWorker`) with a heartbeat and the
share of the rate it may use. Every :data:`SHARE_EVERY` seconds a worker, holding the run's
row locked (so that share changes of a run are made one at a time):

* counts the live workers (heartbeat younger than ``stale_after``, not ended, and, on this
  host, a process that exists and is not a zombie): the fair share is rate / live, less
  :data:`SHARED_HEADROOM` when there are several;
* lowers its own share at once when it is over the fair share: it applies the lower rate
  to its limiter *before* the new share is committed, so whoever reads the row sees only
  what is no longer used;
* raises its share to at most the fair share and at most what the others leave free, and
  writes the raise at once (so no one else counts it free) but applies it only one window
  (1 + margin seconds) later: the others' grants at their old, higher share have then left
  every window that the new grants fall into.

A worker that cannot renew its row stops granting when its lease (``stale_after`` / 2)
runs out, before the others count it dead and take its share. A worker whose own heartbeat
went stale stops: its slice may have been taken over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from newsletter.db import transaction
from newsletter.models import SendRun, SendWorker
from newsletter.models.base import utcnow
from newsletter.sending.lock import worker_is_dead
from newsletter.sending.worker.rate import SendRateLimiter
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Tally

log = logging.getLogger(__name__)

#: Seconds between two share checks (and worker heartbeats).
SHARE_EVERY = 1.0
#: A worker whose heartbeat is this old is dead: its share and its slice are free.
WORKER_STALE_AFTER = 10.0
#: Part of the rate that shared workers leave unused: requests of different processes reach
#: the provider with delays that differ more than one process's (CPU contention between
#: them), beyond what the limiter's own margin covers.
SHARED_HEADROOM = 0.02


def register(engine: Engine, *, run_id: int, owner: str) -> int:
    """A new worker row for the run, with no share yet; its id."""
    now = utcnow()
    with transaction(engine) as session:
        row = SendWorker(
            run_id=run_id,
            owner=owner,
            started_at=now,
            heartbeat_at=now,
            share=0.0,
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


def dead_workers(engine: Engine, *, run_id: int, stale_after: float) -> set[int]:
    """Ids of the run's workers that count as dead now."""
    now = utcnow()
    with transaction(engine) as session:
        rows = session.scalars(select(SendWorker).where(SendWorker.run_id == run_id))
        return {w.id for w in rows if worker_is_dead(w, now=now, stale_after=stale_after)}


@dataclass(frozen=True)
class ShareConfig:
    """What a share keeper needs to know about its run."""

    run_id: int
    worker_id: int
    #: The run's rate (None: no limit).
    rate: float | None
    every: float = SHARE_EVERY
    stale_after: float = WORKER_STALE_AFTER


class ShareKeeper:
    """The thread that keeps a worker's heartbeat and its share of the rate (see above)."""

    def __init__(
        self,
        engine: Engine,
        *,
        config: ShareConfig,
        limiter: SendRateLimiter,
        tally: Tally,
        stop: StopSignal,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._config = config
        self._limiter = limiter
        self._tally = tally
        self._stop = stop
        self._clock = clock
        self._share = 0.0
        self._pending: tuple[float, float] | None = None  # (share, apply at)
        self._mu = threading.Lock()  # share changes: this thread and the raise timer
        self._last_ok = clock()
        self._end = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="share-keeper", daemon=True)
        self._lease = config.stale_after / 2
        if config.rate is not None:
            limiter.set_rate(0)

    @property
    def share(self) -> float:
        """The rate this worker's limiter uses now."""
        return self._share

    def start(self) -> None:
        """First check at once (the worker learns its share), then every ``every`` seconds."""
        self.tick()
        self._thread.start()

    def close(self, *, reason: str = "") -> None:
        """Stop the thread and end the worker's row (its share is free at once)."""
        self._end.set()
        if self._thread.is_alive():
            self._thread.join()
        self._limiter.set_rate(0 if self._config.rate is not None else None)
        snap = self._tally.snapshot()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    update(SendWorker)
                    .where(SendWorker.id == self._config.worker_id)
                    .values(
                        live=False,
                        share=0.0,
                        heartbeat_at=utcnow(),
                        sent=snap.sent,
                        failed=snap.failed,
                        deferred=snap.deferred,
                        skipped=snap.skipped,
                        stop_reason=reason[:2000],
                    )
                )
        except Exception as exc:  # the others find it dead by its heartbeat anyway
            log.error("cannot end the worker's row: %s", exc)

    def _loop(self) -> None:
        while not self._end.wait(self._config.every):
            try:
                self.tick()
            except Exception as exc:  # a database hiccup: the lease decides what follows
                log.warning("share check failed: %s", exc)
            if self._clock() - self._last_ok >= self._config.stale_after:
                self._stop.stop(
                    StopKind.LOCK_LOST,
                    "this worker's heartbeat went stale; another worker may have its slice",
                )
                return

    def tick(self) -> None:
        """One heartbeat and share check."""
        started = self._clock()
        cfg = self._config
        snap = self._tally.snapshot()
        with transaction(self._engine) as session:
            # One share change of the run at a time (PostgreSQL; SQLite writes one at a time).
            session.scalar(select(SendRun.id).where(SendRun.id == cfg.run_id).with_for_update())
            now = utcnow()
            workers = list(
                session.scalars(select(SendWorker).where(SendWorker.run_id == cfg.run_id))
            )
            others = [w for w in workers if w.id != cfg.worker_id]
            live = [
                w for w in others if not worker_is_dead(w, now=now, stale_after=cfg.stale_after)
            ]
            share = self._share
            raise_to: float | None = None
            if cfg.rate is not None:
                fair = cfg.rate / (len(live) + 1) * (1 - SHARED_HEADROOM if live else 1)
                if share > fair or (self._pending is not None and self._pending[0] > fair):
                    with self._mu:
                        share = min(share, fair)
                        self._limiter.set_rate(share)  # applied before anyone sees it free
                        self._share = share
                        self._pending = None
                elif share < fair and self._pending is None:
                    free = cfg.rate - sum(w.share or 0.0 for w in live)
                    target = min(fair, free)
                    if target > share:
                        raise_to = share = target
            # A raise not yet applied is recorded already: no one else may count it free.
            pending = self._pending
            recorded = max(share, pending[0]) if pending is not None else share
            session.execute(
                update(SendWorker)
                .where(SendWorker.id == cfg.worker_id)
                .values(
                    heartbeat_at=now,
                    share=recorded if cfg.rate is not None else None,
                    sent=snap.sent,
                    failed=snap.failed,
                    deferred=snap.deferred,
                    skipped=snap.skipped,
                )
            )
            session.execute(
                update(SendRun)
                .where(SendRun.id == cfg.run_id, SendRun.running_issue_id.is_not(None))
                .values(heartbeat_at=now)
            )
        self._last_ok = started
        self._limiter.renew(started + self._lease)
        if raise_to is not None:
            # No wait when no other worker can have made a grant within the last window: it
            # ended (its heartbeat is written after its last grant) or went quiet that long.
            # (A worker that died without ending may have granted until a beat later.)
            span = self._limiter.span
            recent = bool(live) or any(
                (now - w.heartbeat_at).total_seconds() < span + (cfg.every * w.live) for w in others
            )
            delay = self._limiter.span if recent else 0.0
            with self._mu:
                self._pending = (raise_to, started + delay)
            if delay:
                timer = threading.Timer(delay, self._apply_pending)
                timer.daemon = True
                timer.start()
        self._apply_pending()

    def _apply_pending(self) -> None:
        with self._mu:
            pending = self._pending
            if pending is not None and self._clock() >= pending[1]:
                self._share = pending[0]
                self._limiter.set_rate(self._share)
                self._pending = None

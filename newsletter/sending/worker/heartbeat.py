"""The worker's heartbeat: the one writer of a worker's liveness, and of its run's.

Every :data:`~newsletter.sending.runs.HEARTBEAT_EVERY` seconds the thread writes the
worker's row (its counts, the pace it drew from the run's rate clock) and the run's
heartbeat (:func:`newsletter.sending.runs.beat`). One staleness rule holds for both
(:data:`~newsletter.sending.runs.STALE_AFTER`): others count the worker, or the run, dead
when its heartbeat is that old. This worker stops by itself

* at once, when the run no longer holds the lock (taken over, or ended by someone else);
* when it could not beat for half of ``stale_after``, so that it has stopped before anyone
  counts it dead and takes its slice over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from newsletter.sending import runs
from newsletter.sending.worker.rate import SendRateLimiter
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Tally

log = logging.getLogger(__name__)


class Heartbeat:
    """The thread that keeps a worker (and its run) alive in the database."""

    def __init__(
        self,
        engine: Engine,
        *,
        run: runs.RunFacts,
        worker_id: int,
        limiter: SendRateLimiter,
        tally: Tally,
        stop: StopSignal,
        every: float = runs.HEARTBEAT_EVERY,
        stale_after: float = runs.STALE_AFTER,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._run = run
        self._worker_id = worker_id
        self._limiter = limiter
        self._tally = tally
        self._stop = stop
        self._every = every
        self._lease = stale_after / 2
        self._clock = clock
        self._last_ok = clock()
        self._last_granted = (clock(), 0)
        self._end = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Beat at once, then every ``every`` seconds."""
        self.tick()
        self._thread.start()

    def close(self, *, reason: str = "") -> None:
        """Stop beating and end the worker's row with its final counts."""
        self._end.set()
        if self._thread.is_alive():
            self._thread.join()
        try:
            runs.end_worker(
                self._engine, worker_id=self._worker_id, counts=self._counts(), reason=reason
            )
        except Exception as exc:  # the others find it dead by its heartbeat anyway
            log.error("cannot end the worker's row: %s", exc)

    def _counts(self) -> runs.WorkerCounts:
        snap = self._tally.snapshot()
        share: float | None = None
        if self._limiter.rate is not None:
            now, granted = self._clock(), self._limiter.counts()[0]
            then, before = self._last_granted
            self._last_granted = (now, granted)
            share = (granted - before) / (now - then) if now > then else 0.0
        return runs.WorkerCounts(
            sent=snap.sent,
            failed=snap.failed,
            deferred=snap.deferred,
            skipped=snap.skipped,
            share=share,
        )

    def _loop(self) -> None:
        while not self._end.wait(self._every):
            try:
                self.tick()
            except Exception as exc:  # a database hiccup: the lease decides what follows
                log.warning("heartbeat failed: %s", exc)
            if self._clock() - self._last_ok >= self._lease:
                self._stop.stop(
                    StopKind.LOCK_LOST,
                    "this worker could not write its heartbeat; another worker may take "
                    "its slice over",
                )
                return

    def tick(self) -> None:
        """One heartbeat; stops the worker when the run lost its lock."""
        started = self._clock()
        alive = runs.beat(
            self._engine,
            run_id=self._run.run_id,
            issue_id=self._run.issue_id,
            worker_id=self._worker_id,
            counts=self._counts(),
        )
        self._last_ok = started
        if not alive and not self._stop.is_set:
            self._stop.stop(
                StopKind.LOCK_LOST,
                "another run took over this send (this one's heartbeat was too old)",
            )

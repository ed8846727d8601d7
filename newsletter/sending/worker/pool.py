"""The send workers: threads that take jobs, wait for the rate limiter, claim, send, record.

Each message goes through::

    build -> claim (committed "sending") -> rate token -> daily budget -> transport.send
          -> sent | retry after backoff (transient) | failed (permanent) | stop (account)

Threads are enough: the work is waiting on the network and the database, and one transport
client (with a connection pool sized to the workers) is shared by all of them.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
from collections.abc import Callable

from newsletter.errors import NewsletterError
from newsletter.sending.ledger import Job, Result, Verdict
from newsletter.sending.options import Tuning
from newsletter.sending.worker.budget import Budget
from newsletter.sending.worker.rate import SendRateLimiter
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Tally
from newsletter.sending.worker.writer import Claimed, LedgerWriter
from newsletter.transport import (
    AccountError,
    OutgoingMessage,
    PermanentError,
    TransientError,
    Transport,
)

log = logging.getLogger(__name__)

_DONE = object()
_STOPPED = "not sent: the send stopped"
_NO_QUOTA = "not sent: the 24-hour quota is used up"


class WorkerPool:
    """``concurrency`` threads fed through a small bounded queue (memory stays flat)."""

    def __init__(
        self,
        *,
        tuning: Tuning,
        concurrency: int,
        quota_reason: Callable[[], str],
        transport: Transport,
        build: Callable[[Job], OutgoingMessage],
        writer: LedgerWriter,
        limiter: SendRateLimiter,
        budget: Budget,
        stop: StopSignal,
        tally: Tally,
    ) -> None:
        """``tuning.max_attempts`` must be set (the caller resolves the settings' default);
        ``quota_reason`` is called when the 24-hour budget runs out, for the stop reason."""
        assert tuning.max_attempts is not None
        self._max_attempts = tuning.max_attempts
        self._backoff = tuning.backoff
        self._quota_reason = quota_reason
        self._transport = transport
        self._build = build
        self._writer = writer
        self._limiter = limiter
        self._budget = budget
        self._stop = stop
        self._tally = tally
        self._queue: queue.Queue[tuple[int, Job] | object] = queue.Queue(maxsize=concurrency * 4)
        self._idle = threading.Condition()
        self._pending = 0
        #: Jobs submitted and not done, by group (a group is gone once all its jobs are).
        self._groups: dict[int, int] = {}
        #: Jobs past the rate limiter and not done (sending, or waiting to retry).
        self._granted = 0
        self._rng = random.Random(tuning.seed)  # noqa: S311 (jitter, not secrets)
        self._rng_lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, name=f"send-worker-{n}", daemon=True)
            for n in range(concurrency)
        ]

    def start(self) -> None:
        """Start the workers."""
        for t in self._threads:
            t.start()

    def submit(self, job: Job, *, group: int = 0) -> bool:
        """Queue ``job`` (blocks while the queue is full); False once the send is stopping.

        ``group`` (a slice) is what :meth:`group_left` and :meth:`wait_group` count by.
        """
        with self._idle:
            self._pending += 1
            self._groups[group] = self._groups.get(group, 0) + 1
        while not self._stop.is_set:
            try:
                self._queue.put((group, job), timeout=0.2)
                return True
            except queue.Full:
                continue
        self._done_one(group)
        return False

    def _done_one(self, group: int, *, granted: bool = False) -> None:
        # A job that held a rate slot stops counting as granted in the same step as it stops
        # counting as pending: in between, the backlog would count it as still to send.
        with self._idle:
            self._pending -= 1
            if granted:
                self._granted -= 1
            left = self._groups[group] - 1
            if left:
                self._groups[group] = left
            else:
                del self._groups[group]
                self._idle.notify_all()

    def group_left(self, group: int) -> int:
        """Jobs of ``group`` submitted and not yet done."""
        with self._idle:
            return self._groups.get(group, 0)

    def wait_group(self, group: int) -> None:
        """Wait until every job of ``group`` submitted so far is done (sent, failed, given up
        or dropped); jobs of other groups may still be queued or running."""
        with self._idle:
            while group in self._groups:
                self._idle.wait()

    def finish(self) -> None:
        """No more jobs: let the workers drain the queue and end; wait for them."""
        for _ in self._threads:
            self._queue.put(_DONE)
        for t in self._threads:
            t.join()

    def abort(self) -> None:
        """After a stop: drop queued jobs (their rows stay queued) and wait for the workers."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _DONE:
                assert isinstance(item, tuple)
                self._done_one(item[0])
        self.finish()

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            assert isinstance(item, tuple)
            group, job = item
            granted = False
            try:
                if not self._stop.is_set:  # else drain without sending: the row stays queued
                    granted = self._send(job)
            except Exception as exc:  # a bug must stop the run, not kill a worker silently
                log.exception("send worker failed")
                self._stop.stop(StopKind.ERROR, f"unexpected error in a send worker: {exc!r}")
            finally:
                self._done_one(group, granted=granted)

    def _delay(self, attempt: int, *, throttled: bool) -> float:
        with self._rng_lock:
            return self._backoff.delay(attempt, throttled=throttled, rng=self._rng)

    def _send(self, job: Job) -> bool:
        """Build, claim, wait for a slot, send (retrying transient failures); True when the
        job still holds the rate slot of its last attempt (released with the job)."""
        try:
            message = self._build(job)
        except NewsletterError as exc:
            # An address the wire cannot carry (or a header that would be unsafe): this
            # recipient fails with the reason, nothing was sent.
            answer = self._writer.claim(job.delivery_id)
            if answer is Claimed.YES:
                self._writer.record(Result(job.delivery_id, Verdict.FAILED, error=str(exc)))
                self._tally.add(failed=1)
            elif answer is Claimed.NOT_MAILABLE:
                self._tally.add(skipped=1)
            return False
        for attempt in range(1, self._max_attempts + 1):
            if self._stop.is_set:
                return False
            answer = self._writer.claim(job.delivery_id)
            if answer is not Claimed.YES:
                if answer is Claimed.NOT_MAILABLE:
                    self._tally.add(skipped=1)
                return False
            # The quota first: drawing more from the run is a database transaction, and a
            # thread that held a slot meanwhile would send late or let it pass.
            if not self._budget.take():
                self._writer.record(Result(job.delivery_id, Verdict.REQUEUED, error=_NO_QUOTA))
                self._stop.stop(StopKind.QUOTA, self._quota_reason())
                return False
            used = False
            try:
                # The rate token comes after the claim, just before the request: from grant
                # to arrival is then only the request's own delay, so the limit holds where
                # the provider counts (a claim's commit can take longer under load).
                if not self._limiter.acquire(len(message.recipients), backlog=self._backlog):
                    self._writer.record(Result(job.delivery_id, Verdict.REQUEUED, error=_STOPPED))
                    return False
                with self._idle:
                    self._granted += 1
                try:
                    used, again = self._attempt(job, message, attempt)
                except BaseException:
                    with self._idle:
                        self._granted -= 1
                    raise
            finally:
                self._budget.settle(used=used)
            if not again:
                return True
            with self._idle:  # the next attempt asks for a slot again: backlog once more
                self._granted -= 1
        return False

    def _backlog(self) -> int:
        """Jobs submitted and not done that hold no rate slot: those that will ask for one.

        Counted per job (a message to several recipients asks for more); read without the
        lock, when the rate limiter takes slots (see :meth:`SendRateLimiter.acquire`).
        """
        return max(1, self._pending - self._granted)

    def _attempt(self, job: Job, message: OutgoingMessage, attempt: int) -> tuple[bool, bool]:
        """One claimed attempt; returns (the provider took it, try again)."""
        self._tally.attempt()
        try:
            message_id = self._transport.send(message)
        except TransientError as exc:
            last = attempt == self._max_attempts
            verdict = Verdict.DEFERRED if last else Verdict.REQUEUED
            note = f"attempt {attempt}: {exc}"
            self._writer.record(Result(job.delivery_id, verdict, error=note))
            if last:
                self._tally.add(deferred=1)
                return False, False
            self._tally.add(retries=1)
            stopping = self._stop.wait(self._delay(attempt, throttled=exc.throttled))
            return False, not stopping
        except PermanentError as exc:
            self._writer.record(Result(job.delivery_id, Verdict.FAILED, error=str(exc)))
            self._tally.add(failed=1)
            return False, False
        except AccountError as exc:
            note = f"not sent: {exc}"
            self._writer.record(Result(job.delivery_id, Verdict.REQUEUED, error=note))
            kind = StopKind.QUOTA if exc.daily_quota else StopKind.ACCOUNT
            self._stop.stop(kind, str(exc))
            return False, False
        self._writer.record(Result(job.delivery_id, Verdict.SENT, message_id=message_id))
        self._tally.add(sent=1)
        return True, False

"""What the send workers share besides the rate limiter: the stop signal, the daily budget,
and the running tally of outcomes."""

from __future__ import annotations

import enum
import threading
import time
from dataclasses import dataclass


class StopKind(enum.StrEnum):
    """Why a send stopped before its end."""

    INTERRUPTED = "interrupted"
    ACCOUNT = "account"
    QUOTA = "quota"
    LOCK_LOST = "lock_lost"
    ERROR = "error"


class StopSignal:
    """Set once (the first reason wins); workers check it before every claim."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.kind: StopKind | None = None
        self.reason = ""

    def stop(self, kind: StopKind, reason: str) -> None:
        """Ask every worker to stop after its current message."""
        with self._lock:
            if self.kind is None:
                self.kind = kind
                self.reason = reason
        self._event.set()

    @property
    def is_set(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (early) when a stop is asked for meanwhile."""
        if seconds <= 0:
            return self._event.is_set()
        return self._event.wait(seconds)


class Budget:
    """How many more recipients the provider's 24-hour quota allows in this run (None: no limit).

    A worker takes one before each attempt and settles it afterwards: used when the provider
    took the message, given back otherwise, so the count follows what the provider counts.
    When none is left but some are still in flight, :meth:`take` waits for them to settle, so
    the run stops only when the quota is really used up.
    """

    def __init__(self, remaining: float | None) -> None:
        self._remaining = remaining
        self._in_flight = 0
        self._cond = threading.Condition()

    def take(self) -> bool:
        """One more recipient, or False when the quota is used up."""
        if self._remaining is None:
            return True
        with self._cond:
            while self._remaining < 1 and self._in_flight > 0:
                self._cond.wait()
            if self._remaining < 1:
                return False
            self._remaining -= 1
            self._in_flight += 1
            return True

    def settle(self, *, used: bool) -> None:
        """End what :meth:`take` started; ``used``: the provider took the message."""
        if self._remaining is None:
            return
        with self._cond:
            self._in_flight -= 1
            if not used:
                self._remaining += 1
            self._cond.notify_all()


@dataclass
class Snapshot:
    """Counts so far in this run, for the progress display."""

    total: int
    sent: int
    failed: int
    deferred: int
    skipped: int
    retries: int
    elapsed: float
    rate: float

    @property
    def done(self) -> int:
        """Messages with a final outcome in this run."""
        return self.sent + self.failed + self.deferred + self.skipped

    @property
    def eta(self) -> float | None:
        """Seconds to go at the current rate, if it is known."""
        left = max(0, self.total - self.done)
        if left == 0:
            return 0.0
        return left / self.rate if self.rate > 0 else None


class Tally:
    """Thread-safe outcome counters plus a recent-rate estimate (sends in the last 5 s)."""

    WINDOW = 5.0

    def __init__(self, total: int = 0) -> None:
        self.total = total
        self.sent = 0
        self.failed = 0
        self.deferred = 0
        self.skipped = 0
        self.retries = 0
        self._started = time.monotonic()
        self.attempts = 0
        self.first_attempt = 0.0
        self.last_attempt = 0.0
        self._lock = threading.Lock()
        self._marks: list[tuple[float, int]] = [(self._started, 0)]

    def add(
        self,
        *,
        sent: int = 0,
        failed: int = 0,
        deferred: int = 0,
        skipped: int = 0,
        retries: int = 0,
    ) -> None:
        """Count outcomes."""
        with self._lock:
            self.sent += sent
            self.failed += failed
            self.deferred += deferred
            self.skipped += skipped
            self.retries += retries

    def attempt(self) -> None:
        """Count one request to the provider, at the moment it starts (after its claim)."""
        now = time.monotonic()
        with self._lock:
            self.attempts += 1
            self.first_attempt = self.first_attempt or now
            self.last_attempt = now

    def achieved_rate(self) -> float:
        """Requests per second from the first to the last one started (0 below two): the
        pace the rate limiter is responsible for."""
        with self._lock:
            span = self.last_attempt - self.first_attempt
            return (self.attempts - 1) / span if self.attempts > 1 and span > 0 else 0.0

    def snapshot(self) -> Snapshot:
        """The counts now, and the send rate over the last few seconds."""
        now = time.monotonic()
        with self._lock:
            marks = self._marks
            marks.append((now, self.sent))
            while len(marks) > 2 and marks[1][0] <= now - self.WINDOW:
                marks.pop(0)
            t0, s0 = marks[0]
            rate = (self.sent - s0) / (now - t0) if now > t0 else 0.0
            return Snapshot(
                total=self.total,
                sent=self.sent,
                failed=self.failed,
                deferred=self.deferred,
                skipped=self.skipped,
                retries=self.retries,
                elapsed=now - self._started,
                rate=rate,
            )

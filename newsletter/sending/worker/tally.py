"""The running count of a worker's outcomes, for the progress display and the report."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


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

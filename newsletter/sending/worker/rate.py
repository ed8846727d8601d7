"""The rate limiter shared by the send threads of one worker: never more than ``rate`` a
second. With several workers, ``rate`` is this worker's share of the run's rate
(:mod:`newsletter.sending.worker.shares` changes it with :meth:`SendRateLimiter.set_rate`).

Two rules together (the first gives an even pace, the second the guarantee):

* pacing: grants follow an ideal schedule ``(1 + margin) / rate`` apart; the schedule does
  not drift when a sleep overshoots (grants catch up on up to :data:`CATCH_UP` seconds of
  lateness), so the achieved rate stays at ``rate / (1 + margin)``, and an idle spell builds
  up no burst;
* window: no grant is made while ``floor(rate)`` grants (at least one) already fall within
  the last ``1 + margin`` seconds.

Why the margin: requests leave a worker a little after their grant, each with its own delay.
If the pace were exactly ``rate``, a request delayed by a millisecond more than the one
``rate`` places after it would put ``rate + 1`` requests into one second *as the provider
sees them*. With a window of ``1 + margin`` seconds, the provider sees at most ``rate`` in
any second as long as those delays differ by less than ``margin`` seconds (4% of the rate
buys 40 ms: on a busy machine, 20 ms was seen to be too little).

Grants are made one at a time, in order, under a lock: a waiting worker holds the lock while
it sleeps, which is fine because every other worker would have to wait for its turn anyway.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

#: Default share of the rate kept free to absorb request delays (see the module docstring).
MARGIN = 0.04
#: How often a paused limiter (no share, or its lease ran out) looks again.
PAUSED_POLL = 0.05
#: How far behind its schedule the pacing may fall and still catch up (late wake-ups under
#: load); more than that, e.g. after an idle spell, is forgotten rather than sent as a burst.
CATCH_UP = 0.05


class SendRateLimiter:
    """Grants at most ``rate`` units per second (``None``: no limit; 0: none). Thread-safe.

    ``clock`` and ``sleep`` are injectable for tests; ``sleep`` returns True when the wait
    was cut short (the send is stopping), and then :meth:`acquire` grants nothing. A lease
    (:meth:`renew`) bounds how long grants go on without news from the run: a worker that
    cannot reach the database stops using its share before the others count it as free.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        margin: float = MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        if rate is not None and rate < 0:
            raise ValueError("rate must not be negative (None means no limit)")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self._span = 1.0 + margin
        self._clock = clock
        self._sleep = sleep or _plain_sleep
        self._lock = threading.Lock()
        self._next = -math.inf
        self._window: deque[float] = deque()
        self._lease_until = math.inf
        self._set(rate)

    @property
    def span(self) -> float:
        """The window of the guarantee, in seconds (1 + margin)."""
        return self._span

    def _set(self, rate: float | None) -> None:
        self.rate = rate
        self._interval = self._span / rate if rate else 0.0
        self._cap = max(1, math.floor(rate)) if rate else 0

    def set_rate(self, rate: float | None) -> None:
        """Change the rate from the next grant on (0 pauses). Grants already made stay in
        the window, so a lower rate holds at once for every window that ends after it."""
        with self._lock:
            self._set(rate)

    def renew(self, until: float) -> None:
        """Grant only until ``until`` (on :attr:`clock`'s scale) unless renewed again."""
        self._lease_until = until

    def acquire(self, units: int = 1) -> bool:
        """Wait for ``units`` (recipients); False if the wait was interrupted."""
        if self.rate is None and self._lease_until == math.inf:
            return True
        while True:
            with self._lock:
                now = self._clock()
                if self.rate != 0 and now < self._lease_until:
                    return self._grant(units, now)
            # Paused: wait without the lock, so that set_rate can resume it.
            if self._sleep(PAUSED_POLL):
                return False

    def _grant(self, units: int, now: float) -> bool:
        if self.rate is None:
            return True
        due = max(self._next, now - CATCH_UP)
        window = self._window
        # Forget grants older than the window; if it is full, wait until the oldest
        # ones that must leave to make room for ``units`` more have left.
        while window and window[0] <= now - self._span:
            window.popleft()
        excess = len(window) + units - self._cap
        if excess > 0:
            due = max(due, window[min(excess, len(window)) - 1] + self._span)
        if due > now:
            if self._sleep(due - now):
                return False
            now = self._clock()
        # The next slot follows the ideal schedule, not the (possibly late) wake-up.
        self._next = due + units * self._interval
        for _ in range(units):
            window.append(now)
        return True


def _plain_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False

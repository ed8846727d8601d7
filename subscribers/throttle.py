"""The sign-up form's throttle: sliding-window limits against subscription bombing.

The counts live in the process: behind several processes or Lambda containers each keeps its
own, so the effective limit is a multiple of the setting (API Gateway throttling bounds the
total). Keys are opaque strings: callers pass a hash of the address, never the address.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class SignupThrottle:
    """At most ``limit`` sign-ups per key (an address hash, a client) in any ``window_seconds``;
    thread-safe, bounded memory. (The send's pace is :mod:`newsletter.sending.worker.rate`.)"""

    def __init__(
        self,
        *,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count a hit for ``key``; False (and not counted) when the key is over its limit."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._prune(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def _prune(self, now: float) -> None:
        # Drop keys whose hits all left the window; if every key is live, forget the oldest.
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[key]
        while len(self._hits) >= self._max_keys:
            del self._hits[next(iter(self._hits))]

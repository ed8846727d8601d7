"""Retry delays: exponential backoff with full jitter (AWS's recommendation for throttling)."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Delay before retry number ``attempt`` (1 = first retry): uniform in [0, min(cap, b*2^n)).

    Throttling starts from a longer base: the account's rate is shared with other senders,
    and waiting a little longer is what lets it recover.
    """

    base: float = 0.5
    throttled_base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int, *, throttled: bool, rng: random.Random) -> float:
        """Seconds to wait before the next attempt."""
        base = self.throttled_base if throttled else self.base
        ceiling = min(self.cap, base * (2 ** max(0, attempt - 1)))
        return rng.uniform(0.0, ceiling)

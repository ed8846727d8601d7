"""The 24-hour quota as a worker spends it: drawn from the run's record in small grants."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Budget:
    """How many more recipients the provider's 24-hour quota allows this worker (None: no limit).

    The budget is the run's: ``draw(n)`` takes up to ``n`` from the run's record and returns
    how many it got, so no two workers spend the same part of the quota. A send thread takes
    one before each attempt and settles it afterwards: used when the provider took the
    message, kept for the next one otherwise, so the count follows what the provider counts.
    When none is left but some are still in flight, :meth:`take` waits for them to settle, so
    the run stops only when the quota is really used up. :meth:`unused` is what to give back
    to the run at the end.
    """

    def __init__(
        self, remaining: float | None, *, draw: Callable[[int], int] | None = None, chunk: int = 20
    ) -> None:
        self._remaining = remaining
        self._draw = draw
        self._chunk = chunk
        self._in_flight = 0
        self._cond = threading.Condition()

    def unused(self) -> int:
        """Recipients drawn from the run and not spent."""
        with self._cond:
            return int(self._remaining or 0) if self._draw is not None else 0

    def take(self) -> bool:
        """One more recipient, or False when the quota is used up."""
        if self._remaining is None:
            return True
        with self._cond:
            if self._remaining < 1 and self._draw is not None:
                self._remaining += self._draw(self._chunk)
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

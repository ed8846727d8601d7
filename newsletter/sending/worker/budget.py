"""The 24-hour quota as a worker spends it: drawn from the run's record in small grants."""

from __future__ import annotations

import threading
from collections.abc import Callable


class Budget:
    """How many more recipients the provider's 24-hour quota allows this worker (None: no limit).

    The budget is the run's: ``draw(n)`` takes up to ``n`` from the run's record and returns
    how many it got, so no two workers spend the same part of the quota. A send thread takes
    one before it asks for its rate slot and settles it after the attempt: used when the
    provider took the message, kept for the next one otherwise, so the count follows what
    the provider counts. When none is left but some are still in flight, :meth:`take` waits
    for them to settle, so the run stops only when the quota is really used up.
    :meth:`unused` is what to give back to the run at the end.

    The next grant is drawn ahead, when fewer than half a grant are left, by the thread whose
    take crossed that mark, without the lock: a draw is a database transaction on the run's
    row (milliseconds, tens on a busy database, more when it waits for the row), and the
    other threads go on taking what is left meanwhile instead of all waiting for it.
    """

    def __init__(
        self, remaining: float | None, *, draw: Callable[[int], int] | None = None, chunk: int = 20
    ) -> None:
        self._remaining = remaining
        self._draw = draw
        self._chunk = chunk
        self._in_flight = 0
        self._drawing = False
        #: A draw got less than it asked for: the run's quota is used up, draw only on need.
        self._dry = False
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
            drew = False  # at most one draw on need per take: the run's quota may be gone
            while self._remaining < 1:
                if self._drawing:
                    self._cond.wait()
                elif self._draw is not None and not drew:
                    self._refill()
                    drew = True
                elif self._in_flight > 0:
                    self._cond.wait()  # one not used is given back when it settles
                else:
                    return False
            self._remaining -= 1
            self._in_flight += 1
            if (
                self._remaining < self._chunk / 2
                and self._draw is not None
                and not self._drawing
                and not self._dry
            ):
                try:
                    self._refill()
                except BaseException:
                    # The draw failed: this take fails with it, and leaves nothing in flight
                    # that no one would settle (a later take would wait for it for ever).
                    self._remaining += 1
                    self._in_flight -= 1
                    self._cond.notify_all()
                    raise
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

    def _refill(self) -> None:
        """Draw the next grant from the run, without the lock (called with it held)."""
        assert self._draw is not None
        assert self._remaining is not None
        self._drawing = True
        self._cond.release()
        got = 0
        try:
            got = self._draw(self._chunk)
        finally:
            self._cond.acquire()
            self._drawing = False
            self._remaining += got
            self._dry = got < self._chunk
            self._cond.notify_all()

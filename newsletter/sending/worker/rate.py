"""The run's rate, shared by all its workers: send slots handed out from one clock.

A run's rate is one schedule of send slots ``(1 + margin) / rate`` seconds apart. The
schedule lives in one place, the run's clock (``send_runs.rate_next``, see
:class:`newsletter.sending.runs.RunSlots`): a worker takes the next block of slots (a tenth
of a second's worth) with one atomic statement that moves the clock past them. Blocks never
overlap, so the slots of all workers together are never closer than one interval, whatever
the number of workers; and a worker that is slow (or starved of CPU, or waiting on its
slice) simply takes fewer blocks, so the others use its pace: nothing is set aside per
worker, nothing is lent back, the run's pace is used in full. A worker takes no more slots
than it has messages waiting for them (its *backlog*): a slot held by a worker with nothing
to send passes unused, and the run's pace with it (at the end of a slice, a block taken
ahead was a tenth of a second with no send at all).

Inside a worker, :class:`SendRateLimiter` gives its send threads the block's slots in order,
each at its time. A slot whose time passed by more than ``late`` seconds is given up rather
than used (the next one is taken): a late send would crowd the next slot's, possibly
another worker's.

Why this never goes over the rate in any second as the provider sees it: sends happen at
their slot time plus a delay ``d`` with ``0 <= d <= late``; a one-second window then holds
sends of slots from a span of at most ``1 + late`` seconds, which holds at most
``floor((1 + late) * rate / (1 + margin)) + 1 <= rate`` slots when ``late < margin``. What is
left, ``margin - late`` seconds, absorbs the differences in how long requests take to reach
the provider. The achieved rate is ``rate / (1 + margin)``: 0.98 of it with the default 2 %.

The schedule is on the wall clock (Unix time), the one clock that processes on one host, and
machines synchronised by NTP (Lambda's are), share. A limiter with no run (tests, one
process) keeps its schedule in memory (:class:`LocalClock`).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

#: Default share of the rate kept free to absorb differences in request delays.
MARGIN = 0.02
#: A slot more than this late is given up (must be less than the margin: see above; the
#: rest of the margin, 15 ms, is for the request to reach the provider).
LATE = 0.005
#: Seconds of slots a worker takes from the run's clock at a time.
BLOCK_SECONDS = 0.1


class SlotClock(Protocol):
    """Where a limiter takes its slots from: one clock for everyone who shares the rate."""

    def take(self, count: int, *, interval: float, now: float) -> float:
        """Reserve ``count`` slots ``interval`` apart, none before ``now``; the first's time.

        Slots reserved by any caller never overlap another caller's: the clock moves past
        them atomically.
        """
        ...


class LocalClock:
    """A rate clock held in memory: for one process that shares its rate with nobody."""

    def __init__(self) -> None:
        self._next = -math.inf
        self._lock = threading.Lock()

    def take(self, count: int, *, interval: float, now: float) -> float:
        """See :meth:`SlotClock.take`."""
        with self._lock:
            start = max(self._next, now)
            self._next = start + count * interval
            return start


def _plain_sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


class SendRateLimiter:
    """Grants at most ``rate`` units (recipients) a second, shared through ``slots``.

    ``None``: no limit (no slot is ever taken). ``clock`` is the schedule's time scale (wall
    clock by default) and ``sleep`` returns True when the wait was cut short (the send is
    stopping), and then :meth:`acquire` grants nothing. Thread-safe: grants are made in slot
    order under a lock (a thread waiting for its slot holds it, as every thread after it
    must wait longer anyway); a thread taking slots from the run's clock lets it go for the
    statement.
    """

    def __init__(
        self,
        rate: float | None,
        *,
        slots: SlotClock | None = None,
        margin: float = MARGIN,
        late: float = LATE,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (None means no limit)")
        if not 0 <= late < margin or margin >= 1:
            raise ValueError("need 0 <= late < margin < 1")
        self.rate = rate
        self._slots = slots if slots is not None else LocalClock()
        self._clock = clock
        self._sleep = sleep or _plain_sleep
        self._late = late
        # Whole messages: 14.5 a second is at most 14 in any second.
        pace = (math.floor(rate) if rate >= 1 else rate) if rate else 0.0
        self._interval = (1.0 + margin) / pace if pace else 0.0
        self._block = max(1, math.ceil(rate * BLOCK_SECONDS)) if rate else 0
        self._queue: deque[float] = deque()
        self._lock = threading.Lock()
        #: Notified when a take from the run's clock ends; set while one is under way.
        self._taken = threading.Condition(self._lock)
        self._taking = False
        self._granted = 0
        self._given_up = 0
        #: How long taking slots from the run's clock took lately (seconds).
        self._take_time = 0.0

    @property
    def interval(self) -> float:
        """Seconds between two slots of the run's schedule."""
        return self._interval

    def counts(self) -> tuple[int, int]:
        """Units granted and slots given up (late) so far."""
        return self._granted, self._given_up

    def acquire(self, units: int = 1, *, backlog: Callable[[], int] | None = None) -> bool:
        """Wait for ``units`` slots; False if the wait was interrupted (nothing granted).

        ``backlog``: counts the units the caller's worker will ask for soon, these included
        (None: unknown). It is called when slots are taken, under the limiter's lock: a count
        read before waiting for the lock is stale by then (the threads queued ahead of the
        caller have had their slots), and slots taken for it would pass unused. Slots are
        taken from the run's clock no more than that ahead, so that a worker running out of
        work holds no slots it cannot use.
        """
        if self.rate is None:
            return True
        with self._lock:
            while True:
                # A message to several recipients waits for the last of its slots.
                due = -math.inf
                for _ in range(units):
                    due = self._next_slot(backlog)
                now = self._clock()
                if due > now and self._sleep(due - now):
                    return False
                # Woken too late (a busy machine): the slot is given up, not crowded into
                # the next one's; the next free slot is taken instead.
                if self._clock() <= due + self._late:
                    self._granted += units
                    return True
                self._given_up += units
                if self._sleep(0):  # a stopping send does not go on taking slots
                    return False

    def _next_slot(self, backlog: Callable[[], int] | None) -> float:
        """The next slot not yet late (taking more from the run's clock when needed).

        Called with the lock held; the lock is let go while slots are taken (see
        :meth:`_take`), so the slots already held keep being granted meanwhile.
        """
        while True:
            now = self._clock()
            held = len(self._queue)
            if held <= self._block // 2 and not self._taking:
                # Take the next block before this one runs out, so that one worker alone
                # keeps the schedule without a gap for the statement's round trip; no
                # bigger than the backlog not yet covered (at least the slot asked for).
                want = self._block if backlog is None else min(self._block, backlog() - held)
                if want > 0 or not held:
                    self._take(max(1, want), now=now)
                    continue  # other threads may have had slots meanwhile: look again
            if not self._queue:
                self._taken.wait()  # another thread is taking slots for everyone
                continue
            slot = self._queue.popleft()
            if slot >= now - self._late:
                return slot
            self._given_up += 1

    def _take(self, count: int, *, now: float) -> None:
        """Take ``count`` slots from the run's clock, without the lock (called with it).

        The statement takes milliseconds (tens on a busy database): holding the lock for it
        would keep the threads whose slots are already held from them, and every slot
        that passed meanwhile would be given up.
        """
        self._taking = True
        self._lock.release()
        try:
            # Slots that start before the statement returns would be late on arrival (on a
            # slow database, every time: a loop that only gives up): ask for them from when
            # the last take came back.
            start = self._slots.take(count, interval=self._interval, now=now + self._take_time)
            took = self._clock() - now
        finally:
            self._lock.acquire()
            self._taking = False
            self._taken.notify_all()
        self._take_time = max(took, 0.8 * self._take_time + 0.2 * took)
        self._queue.extend(start + i * self._interval for i in range(count))

"""The objects a process holds when it starts to send, set aside from the garbage collector.

A worker (or a sender process) holds a large, long-lived heap by the time it sends: the
modules, the SES client's service models, the rendering; about 150,000 tracked objects in
the ``newsletter`` command with its SES transport. Every full (oldest-generation) collection
walks all of them, about 75 ms on an idle 2-core VM and several times that on a busy one,
and stops every thread of the process meanwhile: at 200 messages a second that is fifteen
rate slots given up at once, a hole in the send (bench/README.md, "Sending"). Frozen
(:func:`gc.freeze`), they are skipped by every collection; what the send allocates is
collected as before, and one full collection runs once the send is over, when a pause
costs nothing.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class _Freezer:
    """Counts who needs the heap set aside: the collector is the process's, not a caller's."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0

    def enter(self) -> None:
        with self._lock:
            if self._holders == 0:
                # The young generations first (cheap: only what was made since their last
                # collection), so that recent garbage is freed now rather than frozen and
                # then left in the oldest generation, which only a full collection frees
                # (a test suite's engines and their connections piled up). Not a full
                # collection: that would cost the very pause this avoids.
                gc.collect(1)
                gc.freeze()
            self._holders += 1

    def leave(self) -> None:
        with self._lock:
            self._holders -= 1
            if self._holders == 0:
                gc.unfreeze()
                # One full collection now that the send is over: what became garbage in
                # the frozen heap meanwhile (a discarded engine and its connections) is
                # freed at once. Thawed objects do not count towards the collector's next
                # full collection, which could otherwise be put off for a long time.
                gc.collect()


_FREEZER = _Freezer()


@contextmanager
def set_aside() -> Iterator[None]:
    """Freeze what the process holds now, for the block (nested and concurrent blocks
    share one freeze; the last to leave unfreezes, then runs one full collection)."""
    _FREEZER.enter()
    try:
        yield
    finally:
        _FREEZER.leave()

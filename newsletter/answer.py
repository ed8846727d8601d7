"""One answer handed from one thread to another, once: the cheapest wait there is.

A plain lock, held from creation until the answer is set, is the signal: much cheaper than
an :class:`threading.Event` (no Condition, no waiter list) on paths taken once per message
(a claim waiting for the ledger writer, a send waiting for its sender process).
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Answer(Generic[T]):
    """Set once (by the answering thread), waited for once (by the asking thread)."""

    __slots__ = ("_done", "value")

    def __init__(self, unset: T) -> None:
        """``unset`` is what :attr:`value` holds until :meth:`set`."""
        self.value = unset
        self._done = threading.Lock()
        self._done.acquire()

    def set(self, value: T) -> None:
        """Give the answer; wakes the waiter. Call once."""
        self.value = value
        self._done.release()

    def wait(self) -> T:
        """Block until the answer is set; returns it. Call once."""
        self._done.acquire()
        return self.value

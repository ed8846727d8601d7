"""An in-memory transport for unit tests of the pipeline: it keeps what it was given."""

from __future__ import annotations

import threading

from newsletter.transport.base import Closing, OutgoingMessage, SendQuota


class MemoryTransport(Closing):
    """Appends every message to :attr:`sent`; thread-safe. ``quota`` is what it reports."""

    name = "memory"

    def __init__(self, *, quota: SendQuota | None = None) -> None:
        self.sent: list[OutgoingMessage] = []
        self._quota = quota
        self._lock = threading.Lock()
        self.closed = False

    def send(self, message: OutgoingMessage) -> str:
        """Keep the message; ids are ``mem-1``, ``mem-2``, ..."""
        with self._lock:
            self.sent.append(message)
            return f"mem-{len(self.sent)}"

    def quota(self) -> SendQuota | None:
        """The quota given at construction."""
        return self._quota

    def close(self) -> None:
        """Mark closed (tests check that the pipeline closes what it opens)."""
        self.closed = True

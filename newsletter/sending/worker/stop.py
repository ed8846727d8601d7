"""The stop signal the send threads of a worker watch, and why a send stopped."""

from __future__ import annotations

import enum
import threading


class StopKind(enum.StrEnum):
    """Why a send stopped before its end."""

    INTERRUPTED = "interrupted"
    ACCOUNT = "account"
    QUOTA = "quota"
    LOCK_LOST = "lock_lost"
    ERROR = "error"
    #: The breaker paused the run: its bounces or complaints climbed while it ran.
    PAUSED = "paused"


class StopSignal:
    """Set once (the first reason wins); workers check it before every claim."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self.kind: StopKind | None = None
        self.reason = ""

    def stop(self, kind: StopKind, reason: str) -> None:
        """Ask every worker to stop after its current message."""
        with self._lock:
            if self.kind is None:
                self.kind = kind
                self.reason = reason
        self._event.set()

    @property
    def is_set(self) -> bool:
        """True once a stop was asked for."""
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (early) when a stop is asked for meanwhile."""
        if seconds <= 0:
            return self._event.is_set()
        return self._event.wait(seconds)

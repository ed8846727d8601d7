"""The transport port: one small interface that every way of handing over mail implements."""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """A finished MIME message and its envelope.

    ``sender`` is the bare envelope address (the From header may carry a display name);
    ``recipients`` are bare addresses; ``raw`` is the complete message with CRLF line ends;
    ``tags`` are extra provider tags (name, value) for this message, e.g. the issue date.
    ``configuration_set`` is the SES configuration set of this message (a tracked list's
    differs from an untracked one's); None leaves it to the transport's own setting.
    """

    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    tags: tuple[tuple[str, str], ...] = ()
    configuration_set: str | None = None


@dataclass(frozen=True, slots=True)
class SendQuota:
    """A provider's sending limits, counted in recipients.

    ``max_24_hour_send`` is negative when unlimited. ``real`` is False for numbers that do
    not describe a real account (a local emulator's placeholders): they must not limit a send.
    """

    max_send_rate: float
    max_24_hour_send: float
    sent_last_24_hours: float
    real: bool
    source: str

    @property
    def remaining_24h(self) -> float | None:
        """How many more recipients the rolling 24-hour window allows; None if unlimited."""
        if self.max_24_hour_send < 0:
            return None
        return max(0.0, self.max_24_hour_send - self.sent_last_24_hours)


def header_message_id(raw: bytes) -> str:
    """The Message-ID header of a raw message, without angle brackets ("" if none)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"message-id":
            return value.strip().decode("ascii", "replace").strip("<>")
    return ""


class Transport(Protocol):
    """Hands finished messages to a mail system.

    ``send`` is called concurrently from the send workers, so implementations are
    thread-safe. It returns the provider's message id and raises only
    :class:`~newsletter.transport.errors.TransientError`, ``PermanentError`` or ``AccountError``.
    """

    name: str

    def send(self, message: OutgoingMessage) -> str:
        """Hand over one message; returns the provider's id for it."""
        ...

    def quota(self) -> SendQuota | None:
        """The provider's limits, or None when it has none to tell."""
        ...

    def close(self) -> None:
        """Release connections; the transport is not used afterwards."""
        ...

    def __enter__(self) -> Self:
        """The transport itself; leaving the block closes it."""
        ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Close the transport."""
        ...


class Closing:
    """What every transport shares: used as a context manager, it is closed on the way out."""

    def close(self) -> None:
        """Release connections (nothing here); subclasses close theirs."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

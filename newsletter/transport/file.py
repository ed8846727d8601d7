"""One ``.eml`` file per message in a folder: for dry runs, inspection and local tests.

Files are written under a temporary name and renamed into place, so a crash never leaves a
half-written message that looks sent. Names carry a time stamp and a random part, never the
address.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from newsletter.files import write_atomic
from newsletter.transport.base import Closing, OutgoingMessage, SendQuota
from newsletter.transport.errors import AccountError


class FileTransport(Closing):
    """Writes ``<outbox>/<UTC time>-<random>.eml``; returns the file name as the message id."""

    name = "file"

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        try:
            outbox.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise AccountError(f"NEWSLETTER_FILE_OUTBOX: cannot create {outbox}: {exc}") from exc

    def send(self, message: OutgoingMessage) -> str:
        """Write the raw message to a new file."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        try:
            write_atomic(self.outbox / name, message.raw)
        except OSError as exc:
            raise AccountError(f"cannot write to the outbox {self.outbox}: {exc}") from exc
        return name

    def quota(self) -> SendQuota | None:
        """A folder has no quota."""
        return None

    def close(self) -> None:
        """Nothing to release."""

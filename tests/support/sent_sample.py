"""The sample issue sent for real through the file transport, and parsed back."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from newsletter.audience import add_subscriber
from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.items import store_digest
from newsletter.sending import SendOptions, send_issue
from newsletter.settings import Settings
from newsletter.transport import FileTransport

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "ai-daily-2025-08-14.md"


@dataclass(frozen=True)
class Reader:
    """One subscriber of the sample send."""

    email: str
    name: str = ""
    language: str = ""


@dataclass(frozen=True)
class Sent:
    """One message as it left: the raw bytes and the parsed message."""

    raw: bytes
    message: EmailMessage

    @property
    def to(self) -> str:
        return self.message["To"].addresses[0].addr_spec  # type: ignore[no-any-return]

    def part(self, subtype: str) -> str:
        """The decoded text of the ``text/<subtype>`` part."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, subtype
        text: str = body.get_content()
        return text.replace("\r\n", "\n")

    def header_names(self) -> list[str]:
        """The header field names in the order they appear."""
        return [name for name, _ in self.message.items()]


def parse(raw: bytes) -> EmailMessage:
    """A raw message parsed back with the standard library (modern policy)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def send_sample(engine: Engine, settings: Settings, readers: Sequence[Reader]) -> list[Sent]:
    """Import and compose the sample digest, subscribe ``readers`` (active) to the default
    list, send the issue through the file transport, and return every message written."""
    (digest,) = load_digests(SAMPLE)
    with transaction(engine) as session:
        store_digest(session, digest, source=str(SAMPLE))
        compose_issue(session, date=digest.date)
        for reader in readers:
            add_subscriber(
                session,
                email=reader.email,
                list_name=settings.default_list,
                name=reader.name,
                language=reader.language,
                confirmed=True,
            )
    outbox = Path(settings.file_outbox)
    transport = FileTransport(outbox)
    report = send_issue(engine, settings, transport, options=SendOptions(date=digest.date))
    assert report.sent == len(readers), report
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == len(readers)
    return [Sent(f.read_bytes(), parse(f.read_bytes())) for f in files]

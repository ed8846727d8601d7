"""Reading messages back: raw bytes, the file transport's outbox, their parts."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path


def parse(raw: bytes) -> EmailMessage:
    """A raw message parsed back with the standard library (modern policy)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def outbox_files(folder: Path) -> list[Path]:
    """The ``.eml`` files the file transport wrote, oldest first (none when no folder)."""
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def read_outbox(folder: Path) -> list[EmailMessage]:
    """The messages the file transport wrote, oldest first."""
    return [parse(path.read_bytes()) for path in outbox_files(folder)]


def part_text(message: EmailMessage, kind: str = "plain") -> str:
    """The ``plain`` or ``html`` part's text."""
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def recipient(message: EmailMessage) -> str:
    """The bare address of the message's (one) To."""
    return str(message["To"].addresses[0].addr_spec)

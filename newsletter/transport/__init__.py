"""Transports: the port through which finished messages leave (SES, SMTP, files, memory).

:func:`make_transport` picks one from ``NEWSLETTER_TRANSPORT``. Every transport raises only
the three classified errors of :mod:`newsletter.transport.errors`.
"""

from __future__ import annotations

from newsletter.settings import Settings
from newsletter.transport.base import OutgoingMessage, SendQuota, Transport, header_message_id
from newsletter.transport.errors import (
    AccountError,
    PermanentError,
    TransientError,
    TransportError,
)
from newsletter.transport.file import FileTransport
from newsletter.transport.memory import MemoryTransport

__all__ = [
    "AccountError",
    "FileTransport",
    "MemoryTransport",
    "OutgoingMessage",
    "PermanentError",
    "SendQuota",
    "TransientError",
    "Transport",
    "TransportError",
    "header_message_id",
    "make_transport",
]


def make_transport(settings: Settings, *, concurrency: int) -> Transport:
    """The transport ``settings.transport`` names, sized for ``concurrency`` workers; its
    calls run in ``settings.send_processes`` child processes when that is set
    (:mod:`newsletter.transport.process`)."""
    if settings.send_processes:
        from newsletter.transport.process import ProcessTransport

        return ProcessTransport(
            settings, concurrency=concurrency, processes=settings.send_processes
        )
    if settings.transport == "ses":
        from newsletter.transport.ses import SesTransport  # boto3 only when it is used

        return SesTransport.from_settings(settings, concurrency=concurrency)
    if settings.transport == "smtp":
        from newsletter.transport.smtp import SmtpTransport

        return SmtpTransport.from_settings(settings)
    return FileTransport(settings.file_outbox)

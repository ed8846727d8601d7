"""SMTP with STARTTLS and login, one reused connection per send worker.

Works with SES's SMTP interface (``email-smtp.<region>.amazonaws.com:587`` and SMTP
credentials). Each worker thread keeps its own connection (smtplib connections are not
thread-safe) and reconnects once when the server has closed it in between.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from email.utils import make_msgid

from newsletter.settings import Settings
from newsletter.transport.base import Closing, OutgoingMessage, SendQuota, header_message_id
from newsletter.transport.errors import (
    AccountError,
    PermanentError,
    TransientError,
    TransportError,
)

TIMEOUT = 30.0


def _reply_text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())[:300]


def classify_reply(code: int, reply: bytes | str, *, stage: str) -> TransportError:
    """An SMTP reply code to transient (4xx) / permanent (5xx) / account-level."""
    text = _reply_text(reply)
    detail = f"{code} {text}".strip()
    lowered = text.lower()
    if "daily message quota exceeded" in lowered:
        return AccountError(f"SMTP: daily sending quota used up ({detail})", daily_quota=True)
    if (code == 454 and "throttl" in lowered) or "maximum sending rate" in lowered:
        return TransientError(f"SMTP server throttled the send ({detail})", throttled=True)
    if 400 <= code < 500:
        return TransientError(f"SMTP {stage} deferred ({detail})")
    if stage in ("sender", "login"):
        # The sender or our credentials are refused: every message would fail.
        return AccountError(f"SMTP server refuses the {stage} ({detail})")
    return PermanentError(f"SMTP {stage} rejected ({detail})")


def server_message_id(reply: bytes | str) -> str:
    """The id in a 250 reply: SES says "Ok <id>", Postfix "Ok: queued as <id>"; else ""."""
    words = _reply_text(reply).split()
    if len(words) >= 4 and [w.lower() for w in words[-4:-1]] == ["ok:", "queued", "as"]:
        return words[-1]
    if len(words) == 2 and words[0].lower() == "ok":
        return words[1]
    return ""


class SmtpTransport(Closing):
    """SMTP submission; see the module docstring. Thread-safe (a connection per thread)."""

    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str = "",
        password: str = "",
        starttls: bool = True,
        ssl_context: ssl.SSLContext | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self._host = host
        self._port = port
        self._username = username
        self._password = password
        self._starttls = starttls
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._timeout = timeout
        self._local = threading.local()
        self._all: list[smtplib.SMTP] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpTransport:
        """A transport for the NEWSLETTER_SMTP_* settings."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
        )

    def _connect(self) -> smtplib.SMTP:
        try:
            conn = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
            conn.ehlo()
            if self._starttls:
                conn.starttls(context=self._ssl_context)
                conn.ehlo()
            if self._username:
                conn.login(self._username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, stage="login") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise AccountError(f"SMTP server {self._host}: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, stage="connection") from exc
        except ssl.SSLError as exc:
            raise AccountError(f"SMTP server {self._host}: TLS failed: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            where = f"{self._host}:{self._port}"
            raise TransientError(f"cannot reach SMTP server {where}: {exc}") from exc
        with self._lock:
            self._all.append(conn)
        return conn

    def _connection(self) -> smtplib.SMTP:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn: smtplib.SMTP | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)
            with contextlib.suppress(OSError):
                conn.close()

    def send(self, message: OutgoingMessage) -> str:
        """MAIL, RCPT, DATA on this thread's connection; returns the server's id if it gives one."""
        for attempt in (1, 2):
            conn = self._connection()
            try:
                return self._transaction(conn, message)
            except smtplib.SMTPServerDisconnected as exc:
                # A reused connection the server closed while idle: reconnect once.
                self._drop()
                if attempt == 2:
                    raise TransientError(f"SMTP server closed the connection: {exc}") from exc
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise TransientError(f"SMTP connection failed: {exc}") from exc
            except TransportError:
                self._reset(conn)
                raise
        raise AssertionError("unreachable")

    def _reset(self, conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def _transaction(self, conn: smtplib.SMTP, message: OutgoingMessage) -> str:
        code, reply = conn.mail(message.sender)
        if code != 250:
            raise classify_reply(code, reply, stage="sender")
        for rcpt in message.recipients:
            code, reply = conn.rcpt(rcpt)
            if code not in (250, 251):
                raise classify_reply(code, reply, stage="recipient")
        try:
            code, reply = conn.data(message.raw)
        except smtplib.SMTPDataError as exc:
            raise classify_reply(exc.smtp_code, exc.smtp_error, stage="message") from exc
        if code != 250:
            raise classify_reply(code, reply, stage="message")
        return server_message_id(reply) or header_message_id(message.raw) or make_msgid()[1:-1]

    def quota(self) -> SendQuota | None:
        """SMTP tells no quota."""
        return None

    def close(self) -> None:
        """QUIT every connection the workers opened."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

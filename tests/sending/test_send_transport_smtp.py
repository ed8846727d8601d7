"""The SMTP transport against a real aiosmtpd server with STARTTLS and AUTH."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from newsletter.message import MessageBuilder, Recipient
from newsletter.transport import (
    AccountError,
    OutgoingMessage,
    PermanentError,
    TransientError,
)
from newsletter.transport.smtp import SmtpTransport, server_message_id
from tests.support.certificates import self_signed
from tests.support.mail import parse
from tests.support.ports import free_port

USER, PASSWORD = "smtp-user", "smtp-password"


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = self_signed(
        key,
        common_name="127.0.0.1",
        not_before=now - dt.timedelta(minutes=5),
        not_after=now + dt.timedelta(days=1),
        ip="127.0.0.1",
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Received:
    """What the server saw."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    session_id: int
    authenticated: bool
    tls: bool


@dataclass
class Handler:
    """Accepts mail; some recipients are refused (5xx) or deferred (4xx)."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    data_reply: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    envelope.original_content,
                    id(session),
                    bool(session.authenticated),
                    server.transport.get_extra_info("sslcontext") is not None,
                )
            )
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and data == LoginPassword(USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    port: int
    handler: Handler
    client_context: ssl.SSLContext

    def transport(self, **kw: Any) -> SmtpTransport:
        args: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": USER,
            "password": PASSWORD,
            "ssl_context": self.client_context,
            "timeout": 10,
        }
        args.update(kw)
        return SmtpTransport(**args)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """aiosmtpd on a free port: STARTTLS required, AUTH required (over TLS only)."""
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    handler = Handler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=_authenticate,
        auth_required=True,
        auth_require_tls=True,
        # One mechanism, so a wrong password is one round trip (smtplib tries them all).
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))
    yield SmtpServer(port, handler, client_ctx)
    controller.stop()


def _message(to: str, n: int = 0) -> OutgoingMessage:
    raw = MessageBuilder(
        sender="AI 日报 <news@example.com>",
        subject=f"测试 {n}",
        list_id="daily.example.com",
        list_name="AI 日报",
    ).build(
        to=Recipient(to, "读者"),
        html=f"<p>你好 {n}</p>",
        text=f"你好 {n}",
        unsubscribe_url=f"https://news.example.com/unsubscribe/T{n}",
    )
    return OutgoingMessage("news@example.com", (to,), raw)


def test_starttls_login_and_a_reused_connection_per_worker(smtp_server: SmtpServer) -> None:
    transport = smtp_server.transport()
    ids = [transport.send(_message(f"reader{n}@example.com", n)) for n in range(5)]
    # Two more from another thread: that worker gets its own connection.
    thread = threading.Thread(
        target=lambda: [transport.send(_message(f"other{n}@example.com", n)) for n in range(2)]
    )
    thread.start()
    thread.join()
    transport.close()
    got = smtp_server.handler.received
    assert len(got) == 7
    assert all(r.tls and r.authenticated for r in got)
    assert len({r.session_id for r in got[:5]}) == 1, "one connection reused by a worker"
    assert len({r.session_id for r in got}) == 2
    assert [r.rcpt_tos for r in got[:5]] == [[f"reader{n}@example.com"] for n in range(5)]
    assert all(r.mail_from == "news@example.com" for r in got)
    msg = parse(got[0].content)
    assert str(msg["Subject"]) == "测试 0"
    assert msg["List-Unsubscribe"] == "<https://news.example.com/unsubscribe/T0>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = msg.get_body(("plain",))
    assert text is not None
    assert text.get_content().strip() == "你好 0"
    # aiosmtpd gives no id in its reply: the transport falls back to our Message-ID.
    assert ids[0] == msg["Message-ID"].strip("<>")


def test_refusals_are_classified(smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse = {
        "gone@example.com": "550 5.1.1 mailbox unavailable",
        "busy@example.com": "451 4.3.0 try again later",
        "fast@example.com": "454 Throttling failure: Maximum sending rate exceeded.",
    }
    transport = smtp_server.transport()
    with pytest.raises(PermanentError, match="550"):
        transport.send(_message("gone@example.com"))
    with pytest.raises(TransientError, match="451") as deferred:
        transport.send(_message("busy@example.com"))
    assert not deferred.value.throttled
    with pytest.raises(TransientError) as throttled:
        transport.send(_message("fast@example.com"))
    assert throttled.value.throttled
    # The connection is still good after refusals (RSET), and is reused.
    transport.send(_message("fine@example.com"))
    transport.close()
    assert [r.rcpt_tos for r in smtp_server.handler.received] == [["fine@example.com"]]


def test_daily_quota_reply_stops_the_account(smtp_server: SmtpServer) -> None:
    smtp_server.handler.data_reply = "554 Throttling failure: Daily message quota exceeded."
    transport = smtp_server.transport()
    with pytest.raises(AccountError) as err:
        transport.send(_message("reader@example.com"))
    assert err.value.daily_quota
    transport.close()


def test_bad_login_is_an_account_error(smtp_server: SmtpServer) -> None:
    transport = smtp_server.transport(password="wrong")
    with pytest.raises(AccountError, match="login"):
        transport.send(_message("reader@example.com"))
    assert smtp_server.handler.received == []


def test_untrusted_certificate_is_refused(smtp_server: SmtpServer) -> None:
    transport = smtp_server.transport(ssl_context=ssl.create_default_context())
    with pytest.raises(AccountError, match="TLS"):
        transport.send(_message("reader@example.com"))


def test_unreachable_server_is_transient() -> None:
    transport = SmtpTransport(host="127.0.0.1", port=free_port(), timeout=2)
    with pytest.raises(TransientError, match="cannot reach"):
        transport.send(_message("reader@example.com"))


def test_server_message_id() -> None:
    assert server_message_id("Ok 0100018f-abc-000000") == "0100018f-abc-000000"
    assert server_message_id("2.0.0 Ok: queued as 4ABCD") == "4ABCD"
    assert server_message_id("OK") == ""

"""Fixtures of the web service tests: the app on both databases, people, issues, SNS signing."""

from __future__ import annotations

import base64
import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import Engine, event, func, select
from starlette.testclient import TestClient

from newsletter.audience import add_subscriber
from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.items import store_digest
from newsletter.models import (
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
    SubscriberEvent,
    Subscription,
)
from newsletter.render import render_and_store
from newsletter.settings import Settings
from newsletter.sns import SnsVerifier
from newsletter.tokens import TokenPurpose, make_token
from subscribers.app import create_app

TOPIC = "arn:aws:sns:us-east-1:123456789012:newsletter-prod-ses-notifications"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:someone-else"


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The test settings plus an accepted SNS topic and small sign-up limits."""
    return settings.model_copy(
        update={
            "sns_topic_arns": [TOPIC],
            "subscribe_rate_per_address": 2,
            "subscribe_rate_per_client": 8,
        }
    )


@dataclass
class Person:
    """A subscriber on the default list, with the ids a token carries."""

    email: str
    subscriber_id: int
    list_id: int


def add_person(engine: Engine, email: str, *, list_name: str = "daily") -> Person:
    """An active subscriber of ``list_name``."""
    with transaction(engine) as session:
        result = add_subscriber(session, email=email, list_name=list_name, confirmed=True)
        assert result.subscriber is not None
        assert result.subscription is not None
        return Person(email, result.subscriber.id, result.subscription.list_id)


def add_issue(
    engine: Engine,
    day: dt.date,
    *,
    subject: str = "AI 日报",
    html: str = "<html><body>issue</body></html>",
    status: IssueStatus = IssueStatus.SENT,
) -> int:
    """An issue of ``day`` with a stored rendering; returns its id."""
    with transaction(engine) as session:
        issue = Issue(
            date=day,
            subject=subject,
            summary="",
            preheader=f"{subject} 摘要",
            sections=[],
            status=status,
            rendered_subject=subject,
            rendered_html=html,
            rendered_text="issue",
            rendered_at=dt.datetime.now(dt.UTC),
            sent_at=dt.datetime.now(dt.UTC) if status is IssueStatus.SENT else None,
        )
        session.add(issue)
        session.flush()
        return issue.id


def unsubscribe_token(settings: Settings, person: Person, issue_id: int | None = None) -> str:
    """The unsubscribe token an email to ``person`` carries."""
    return make_token(
        settings,
        purpose=TokenPurpose.UNSUBSCRIBE,
        subscriber_id=person.subscriber_id,
        list_id=person.list_id,
        issue_id=issue_id,
    )


def confirm_token(settings: Settings, person: Person, *, now: dt.datetime | None = None) -> str:
    """The confirm token of ``person``'s double opt-in email."""
    return make_token(
        settings,
        purpose=TokenPurpose.CONFIRM,
        subscriber_id=person.subscriber_id,
        list_id=person.list_id,
        now=now,
    )


@dataclass(frozen=True)
class DbState:
    """Everything a request could change about the audience."""

    subscriptions: tuple[tuple[int, int, str], ...]
    subscribers: tuple[tuple[int, str, int], ...]
    events: int
    lists: int


def db_state(engine: Engine) -> DbState:
    """A snapshot of the audience tables."""
    with transaction(engine) as session:
        subs = session.execute(
            select(Subscription.subscriber_id, Subscription.list_id, Subscription.status).order_by(
                Subscription.id
            )
        ).all()
        people = session.execute(
            select(Subscriber.id, Subscriber.status, Subscriber.soft_bounces).order_by(
                Subscriber.id
            )
        ).all()
        events = session.scalar(select(func.count()).select_from(SubscriberEvent)) or 0
        lists = session.scalar(select(func.count()).select_from(MailingList)) or 0
    return DbState(
        tuple((a, b, str(c)) for a, b, c in subs),
        tuple((a, str(b), c) for a, b, c in people),
        events,
        lists,
    )


def events_of(engine: Engine, subscriber_id: int) -> list[SubscriberEvent]:
    """The subscriber's events, oldest first."""
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(SubscriberEvent)
                .where(SubscriberEvent.subscriber_id == subscriber_id)
                .order_by(SubscriberEvent.id)
            )
        )


# --- SNS: a certificate the test generates, served over HTTP from this process ----------------


@dataclass
class SnsSigner:
    """Signs SNS messages the way SNS does, with a generated key and self-signed certificate."""

    key: rsa.RSAPrivateKey
    cert_pem: bytes
    cert_url: str
    base_url: str
    requests: list[str] = field(default_factory=list)

    def sign(self, message: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        """``message`` with SignatureVersion, SigningCertURL and Signature added."""
        if message["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"]
            keys.append("Type")
        canonical = "".join(f"{k}\n{message[k]}\n" for k in keys if k in message)
        # SignatureVersion 1 is SHA1 by SNS's definition.
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = self.key.sign(canonical.encode("utf-8"), padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "SigningCertURL": message.get("SigningCertURL", self.cert_url),
            "Signature": base64.b64encode(signature).decode("ascii"),
        }

    def verifier(self, topics: list[str] | None = None) -> SnsVerifier:
        """A verifier that accepts this server's URLs in place of sns.<region>.amazonaws.com."""

        def local(url: str) -> bool:
            return url.startswith(self.base_url + "/")

        return SnsVerifier(
            [TOPIC] if topics is None else topics, url_allowed=local, subscribe_url_allowed=local
        )


def make_certificate(
    key: rsa.RSAPrivateKey, *, not_before: dt.datetime, not_after: dt.datetime
) -> bytes:
    """A self-signed PEM certificate for ``key``, named like SNS's."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def sns_key() -> rsa.RSAPrivateKey:
    """The signing key (2048-bit RSA, like SNS's)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sns_signer(sns_key: rsa.RSAPrivateKey) -> Iterator[SnsSigner]:
    """A local HTTP server serving the certificate and recording subscription confirmations."""
    now = dt.datetime.now(dt.UTC)
    files = {
        "/SimpleNotificationService-test.pem": make_certificate(
            sns_key, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30)
        ),
        "/expired.pem": make_certificate(
            sns_key,
            not_before=now - dt.timedelta(days=60),
            not_after=now - dt.timedelta(days=1),
        ),
    }
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            path = self.path.split("?", 1)[0]
            body = files.get(path, b"<ConfirmSubscriptionResponse/>")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits for the serving loop to look up.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    yield SnsSigner(
        sns_key,
        files["/SimpleNotificationService-test.pem"],
        f"{base}/SimpleNotificationService-test.pem",
        base,
        seen,
    )
    server.shutdown()
    server.server_close()


def ses_bounce(email: str, *, permanent: bool = True, feedback_id: str = "fb-1") -> str:
    """The Message of an SES bounce notification."""
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent" if permanent else "Transient",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": email, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
                ],
                "timestamp": "2025-08-14T07:00:05.000Z",
                "feedbackId": feedback_id,
            },
            "mail": {"messageId": "0100-mail-1", "source": "news@example.com"},
        }
    )


def ses_complaint(email: str, *, message_id: str = "0100-mail-1") -> str:
    """The Message of an SES complaint event (configuration-set event publishing format)."""
    return json.dumps(
        {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "feedbackId": "fb-complaint-1",
                "timestamp": "2025-08-14T08:00:00.000Z",
            },
            "mail": {"messageId": message_id, "source": "news@example.com"},
        }
    )


def sns_notification(
    message: str, *, topic: str = TOPIC, message_id: str = "m-1"
) -> dict[str, Any]:
    """An unsigned SNS Notification envelope around ``message``."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": message,
        "Timestamp": "2025-08-14T07:00:06.000Z",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


@pytest.fixture
def client(web_settings: Settings, engine: Engine, sns_signer: SnsSigner) -> Iterator[TestClient]:
    """The app over the test database, the file transport, and the local SNS certificate."""
    app = create_app(web_settings, engine=engine, sns_verifier=sns_signer.verifier())
    with TestClient(app, base_url="https://news.example.com") as test_client:
        yield test_client


def publish_sample(engine: Engine, settings: Settings, path: Path, *, sent: bool = True) -> Issue:
    """Import a sample digest, compose and render its issue; with ``sent`` also mark it sent
    (the archive's input). Returns the issue."""
    digest = load_digests(path)[0]
    with transaction(engine) as session:
        store_digest(session, digest, source=str(path))
        issue = compose_issue(session, date=digest.date)
        render_and_store(session, issue, settings)
        if sent:
            issue.status = IssueStatus.SENT
            issue.sent_at = dt.datetime.now(dt.UTC)
    return issue


# --- a local AWS (moto's server over HTTP) for the Lambda handlers' SSM settings -------------


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """``moto_server`` on a free loopback port, for the whole session."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    binary = Path(sys.executable).parent / "moto_server"
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("moto_server did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """AWS clients made in this test talk to the local moto server; returns its URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_url


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The first word of every SQL statement run on the test engine from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

"""Hostile input to the web service: NUL and escapes in the form, the confirmation's To:,
the honeypot's work, and who may claim to forward for a client."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from newsletter.cli import app as cli
from newsletter.db import transaction
from newsletter.models import Subscriber
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from tests.support.serve import start_serve, stop_serve, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_NAME = "You won $1000! Claim at https://evil.example/claim now"
ESCAPES = "\x1b]52;c;ZXZpbA==\x07\x1b]0;t\x07\x9b1m"


def _messages(settings: Settings) -> list[EmailMessage]:
    messages = []
    for path in sorted(Path(settings.file_outbox).glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        messages.append(message)
    return messages


@pytest.mark.parametrize("name", ["Ann\x00Lee", f"Ann{ESCAPES}Lee", "\x00"])
def test_nul_and_escapes_in_the_name_get_the_same_answer_for_new_and_known_addresses(
    client: TestClient, engine: Engine, name: str
) -> None:
    client.post("/subscribe", data={"email": "known@example.com", "name": "Known"})
    new = client.post("/subscribe", data={"email": "new@example.com", "name": name})
    known = client.post("/subscribe", data={"email": "known@example.com", "name": name})
    assert (new.status_code, new.text) == (known.status_code, known.text)
    assert new.status_code == 200
    with transaction(engine) as session:
        names = dict(session.execute(select(Subscriber.email, Subscriber.name)).all())
    assert names["known@example.com"] == "Known"
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in names["new@example.com"])


def test_the_confirmation_goes_to_the_bare_address(
    client: TestClient, web_settings: Settings
) -> None:
    client.post("/subscribe", data={"email": "mark@example.com", "name": HOSTILE_NAME})
    (message,) = _messages(web_settings)
    assert message["To"] == "mark@example.com"
    assert "evil.example" not in message.as_string()


def _comparable(message: EmailMessage) -> list[Any]:
    """The message without what differs per sending: token, Date, Message-ID, boundary."""
    headers = [
        (k, re.sub(r'boundary="[^"]+"', 'boundary="B"', str(v)))
        for k, v in message.items()
        if k not in ("Date", "Message-ID")
    ]
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "multipart":
            continue
        assert isinstance(part, EmailMessage)
        body = re.sub(r"/confirm/[A-Za-z0-9_.-]+", "/confirm/TOKEN", part.get_content())
        parts.append((list(part.items()), body))
    return [headers, parts]


def test_the_cli_and_the_form_send_the_same_confirmation_email(
    client: TestClient, runner: CliRunner, cli_env: Settings, web_settings: Settings
) -> None:
    added = runner.invoke(cli, ["subscribers", "add", "same@example.com", "--name", "读者"])
    assert added.exit_code == 0, added.output
    client.post("/subscribe", data={"email": "same@example.com", "name": "读者"})
    from_cli, from_form = _messages(web_settings)
    assert from_cli["Subject"] == from_form["Subject"] == "请确认订阅AI 日报"
    assert _comparable(from_cli) == _comparable(from_form)
    # The tokens differ only in when they were made: both confirm the same subscription.
    data = set()
    for message in (from_cli, from_form):
        text = message.get_body(("plain",))
        assert text is not None
        (token,) = re.findall(r"/confirm/([A-Za-z0-9_.-]+)", text.get_content())
        found = read_token(web_settings, token, purpose=TokenPurpose.CONFIRM)
        data.add((found.subscriber_id, found.list_id))
    assert len(data) == 1


def test_the_honeypot_does_the_work_of_a_real_sign_up(
    client: TestClient, engine: Engine, statements: list[str], web_settings: Settings
) -> None:
    trap = {"website": "https://spam.example.org"}
    bot = client.post("/subscribe", data={"email": "bot@example.com", "name": "B", **trap})
    bot_work = list(statements)
    statements.clear()
    real = client.post("/subscribe", data={"email": "person@example.com", "name": "B"})
    real_work = list(statements)
    assert (bot.status_code, bot.text) == (real.status_code, real.text)
    # The same statements (the honeypot's are rolled back), so the answer takes as long.
    assert bot_work == real_work
    assert "INSERT" in bot_work
    with transaction(engine) as session:
        assert session.scalars(select(Subscriber.email)).all() == ["person@example.com"]
    assert [m["To"] for m in _messages(web_settings)] == ["person@example.com"]


# --- `newsletter serve`: base URL and forwarded headers --------------------------------------


def _serve(
    settings: Settings, tmp_path: Path, *, extra: dict[str, str], host: str = "127.0.0.1"
) -> tuple[subprocess.Popen[bytes], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NEWSLETTER_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        NEWSLETTER_DATABASE_URL=settings.database_url,
        NEWSLETTER_SECRET_KEY=settings.secret_key,
        NEWSLETTER_SENDER=settings.sender,
        NEWSLETTER_TRANSPORT="file",
        NEWSLETTER_FILE_OUTBOX=str(settings.file_outbox),
        NEWSLETTER_SUBSCRIBE_RATE_PER_CLIENT="2",
        **extra,
    )
    return start_serve(env=env, cwd=tmp_path, host=host)


def _signups(port: int, forwarded: list[str]) -> list[int]:
    codes = []
    for n, address in enumerate(forwarded):
        response = httpx.post(
            f"http://127.0.0.1:{port}/subscribe",
            data={"email": f"f{n}@example.com", "name": ""},
            headers={"X-Forwarded-For": address},
            timeout=10,
        )
        codes.append(response.status_code)
    return codes


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_believes_x_forwarded_for_only_from_named_proxies(
    settings: Settings, tmp_path: Path
) -> None:
    clients = ["198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"]
    process, port = _serve(settings, tmp_path, extra={})
    try:
        wait_until_serving(process, port)
        # By default nobody is a proxy: the four "clients" are one, limited to 2.
        assert _signups(port, clients) == [200, 200, 429, 429]
    finally:
        stderr = stop_serve(process)
    assert f"links point to http://127.0.0.1:{port} (loopback)" in stderr
    process, port = _serve(
        settings, tmp_path, extra={"NEWSLETTER_TRUSTED_PROXIES": '["127.0.0.1"]'}
    )
    try:
        wait_until_serving(process, port)
        assert _signups(port, clients) == [200, 200, 200, 200]
    finally:
        stop_serve(process)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_beyond_loopback_needs_the_base_url(settings: Settings, tmp_path: Path) -> None:
    process, _port = _serve(settings, tmp_path, extra={}, host="0.0.0.0")  # noqa: S104
    assert process.wait(timeout=60) == 2
    stderr = process.stderr.read().decode("utf-8") if process.stderr else ""
    assert stderr.splitlines() == [
        "error: NEWSLETTER_BASE_URL is not set: it is required when serving beyond loopback "
        "(links are never built from the request's Host header)"
    ]

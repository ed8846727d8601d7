"""The welcome email: off by default; with an edition's welcome text, sent once after a
confirmed sign-up, rendered like an issue in the edition's language and look."""

from __future__ import annotations

import re

from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.db import transaction
from newsletter.editions import EditionChange, add_edition, get_edition, update_edition
from newsletter.models import EventKind
from newsletter.settings import Settings
from tests.support.audience import db_state, events_of
from tests.support.mail import outbox_files, part_text, read_outbox

CONFIRM_LINK = re.compile(r"https://news\.example\.com/confirm/[A-Za-z0-9._-]+")
WELCOME = "感谢订阅！每天早上七点，**AI 日报**送到您的邮箱。[往期](https://example.org/past)"


def _sign_up_and_confirm(client: TestClient, settings: Settings, address: str, path: str) -> str:
    assert client.post(path, data={"email": address, "name": "读者"}).status_code == 200
    (message,) = [m for m in read_outbox(settings.file_outbox) if address in str(m["To"])]
    found = CONFIRM_LINK.search(part_text(message))
    assert found is not None
    link = found.group(0)
    assert client.post(link, data={"confirm": "1"}).status_code == 200
    return link


def test_no_welcome_without_a_welcome_text(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    _sign_up_and_confirm(client, web_settings, "plain@example.com", "/subscribe")
    assert len(outbox_files(web_settings.file_outbox)) == 1  # the confirmation only


def test_the_welcome_goes_once_after_confirming(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    with transaction(engine) as session:
        update_edition(session, "default", change=EditionChange({"welcome": WELCOME}))
    link = _sign_up_and_confirm(client, web_settings, "new@example.com", "/subscribe")
    messages = read_outbox(web_settings.file_outbox)
    assert len(messages) == 2
    welcome = messages[1]
    assert str(welcome["Subject"]) == "欢迎订阅AI 日报"
    html, text = part_text(welcome, "html"), part_text(welcome, "plain")
    assert "<strong>AI 日报</strong>" in html
    assert "https://example.org/past" in html
    assert "读者，您好！" in text
    assert "__NEWSLETTER_" not in html + text
    assert welcome["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/preferences/" in text
    # A second click on the link, and a later one: confirmed already, no second welcome.
    assert client.post(link, data={"confirm": "1"}).status_code == 200
    assert len(outbox_files(web_settings.file_outbox)) == 2
    subscriber_id = db_state(engine).subscribers[0][0]
    kinds = [e.kind for e in events_of(engine, subscriber_id)]
    assert kinds.count(EventKind.WELCOMED) == 1


def test_an_english_editions_welcome_is_english(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    with transaction(engine) as session:
        add_edition(
            session,
            "en",
            change=EditionChange(
                {
                    "name": "AI Daily",
                    "language": "en",
                    "list_name": "en-daily",
                    "welcome": "Thanks for joining. The digest arrives every morning.",
                }
            ),
        )
        assert get_edition(session, "en").welcome
    _sign_up_and_confirm(client, web_settings, "reader@example.org", "/subscribe?edition=en")
    welcome = read_outbox(web_settings.file_outbox)[-1]
    assert str(welcome["Subject"]) == "Welcome to AI Daily"
    text = part_text(welcome, "plain")
    assert "Thanks for joining" in text
    assert "退订" not in text
    assert "Unsubscribe" in text

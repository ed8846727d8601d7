"""The subscriber pages in real Chromium (Debian's, driven by Playwright) against a real server.

1. An issue is sent with the file transport; the unsubscribe link is taken from the email as
   written, opened, the button pressed, and the database shows the event.
2. Sign-up in the form → the confirmation email the file transport wrote → confirm.

Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize
from sqlalchemy import Engine

from newsletter.models import EventKind
from newsletter.sending import SendOptions, send_issue
from newsletter.settings import Settings
from newsletter.transport import FileTransport
from tests.support.audience import db_state, events_of
from tests.support.factories import add_person, publish_sample
from tests.support.mail import part_text, read_outbox
from tests.support.paths import ARTIFACTS
from tests.support.serve import app_on_loopback

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def served(settings: Settings, engine: Engine) -> Iterator[Settings]:
    """The app on a real uvicorn server on loopback; returns the settings pointing at it."""
    with app_on_loopback(settings, engine=engine) as live:
        yield live


_emails = read_outbox


def _html(message: email.message.EmailMessage) -> str:
    return part_text(message, "html")


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)


def test_unsubscribe_from_a_sent_email_in_chromium(
    served: Settings, engine: Engine, samples: Path, page: Page
) -> None:
    issue = publish_sample(engine, served, samples / "ai-daily-2025-08-14.md", sent=False)
    person = add_person(engine, "reader@example.com")
    options = SendOptions(date=issue.date)
    report = send_issue(engine, served, FileTransport(served.file_outbox), options=options)
    assert report is not None
    [message] = _emails(served.file_outbox)
    # The link a person clicks: the footer's, which is also the List-Unsubscribe URL.
    header = re.fullmatch(r"<(http://[^>]+)>.*", message["List-Unsubscribe"])
    assert header is not None
    link = header.group(1)
    assert f'href="{link}"' in _html(message)

    page.goto(link)
    page.get_by_text("re***@example.com").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    _shot(page, "unsubscribe")
    assert [s[2] for s in db_state(engine).subscriptions] == ["active"]  # the GET changed nothing
    page.locator("#unsubscribe").click()
    page.get_by_role("heading", name="已退订").wait_for()
    _shot(page, "unsubscribed")
    assert not page.context.cookies()

    assert [s[2] for s in db_state(engine).subscriptions] == ["unsubscribed"]
    event = events_of(engine, person.subscriber_id)[-1]
    assert (event.kind, event.method, event.issue_id) == (EventKind.UNSUBSCRIBED, "link", issue.id)


def test_subscribe_then_confirm_from_the_email_in_chromium(
    served: Settings, engine: Engine, page: Page
) -> None:
    page.goto(f"{served.base_url}/subscribe")
    _shot(page, "subscribe")
    page.locator("#email").fill("newcomer@example.com")
    page.locator("#name").fill("小明")
    page.locator("#subscribe").click()
    page.get_by_role("heading", name="请查收确认邮件").wait_for()
    _shot(page, "subscribe-sent")

    deadline = time.monotonic() + 20  # the email is sent after the response
    while not (messages := _emails(served.file_outbox)):
        assert time.monotonic() < deadline, "no confirmation email was written"
        time.sleep(0.05)
    [message] = messages
    assert message["To"].addresses[0].addr_spec == "newcomer@example.com"
    links = re.findall(rf'href="({re.escape(served.base_url)}/confirm/[^"]+)"', _html(message))
    assert links
    assert [s[2] for s in db_state(engine).subscriptions] == ["pending"]

    page.goto(links[0])
    page.locator("#confirm").wait_for()
    assert [s[2] for s in db_state(engine).subscriptions] == ["pending"]
    page.locator("#confirm").click()
    page.get_by_role("heading", name="订阅成功").wait_for()
    _shot(page, "confirmed")
    assert [s[2] for s in db_state(engine).subscriptions] == ["active"]

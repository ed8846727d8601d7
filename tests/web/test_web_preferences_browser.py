"""The subscriber's own pages in real Chromium (Debian's, through Playwright) against a real
server on loopback, on both databases: the preference page (lists, language, unsubscribe
from all, subscribe again) in Chinese and English, light and dark, at 375 px and on a
desktop; the dead ends (404, invalid and expired links) with their way on; the archive's
images from the local media store over http on loopback, as `make demo` serves them.

Screenshots go to test-artifacts/ (``web-preferences-*``, ``web-deadend-*``,
``web-demo-archive.png``).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, Page, ViewportSize
from sqlalchemy import Engine

from newsletter.db import transaction
from newsletter.editions import EditionChange, add_edition, get_edition
from newsletter.media.store import LocalMediaStore, media_name
from newsletter.models import Issue, IssueStatus, Subscriber
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose
from tests.support.audience import confirm_token, db_state, events_of, person_token
from tests.support.factories import Person, add_person
from tests.support.mail import read_outbox
from tests.support.media_images import picture
from tests.support.paths import ARTIFACTS
from tests.support.serve import app_on_loopback

pytestmark = pytest.mark.browser

PHONE: ViewportSize = {"width": 375, "height": 812}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
WEEKLY = "weekly"
Scheme = Literal["light", "dark"]


@pytest.fixture
def served(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[Settings]:
    """The app on a real uvicorn server on loopback (http, like `make demo`), with a local
    media store; returns the settings pointing at it."""
    with app_on_loopback(settings, engine=engine, media_dir=tmp_path / "media") as live:
        yield live


def _tab(browser: Browser, *, scheme: Scheme, viewport: ViewportSize = PHONE) -> Page:
    context = browser.new_context(
        viewport=viewport,
        device_scale_factor=2,
        is_mobile=viewport is PHONE,
        color_scheme=scheme,
    )
    return context.new_page()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _statuses(engine: Engine) -> list[str]:
    return [s[2] for s in db_state(engine).subscriptions]


def _on(engine: Engine, *people: Person) -> list[str]:
    """The status of each of ``people`` (a person on a list), in that order."""
    found = {(s[0], s[1]): s[2] for s in db_state(engine).subscriptions}
    return [found[(p.subscriber_id, p.list_id)] for p in people]


def _card_is_dark(page: Page) -> bool:
    color = page.evaluate("getComputedStyle(document.querySelector('main')).backgroundColor")
    channels = [int(c) for c in color[color.index("(") + 1 : color.index(")")].split(",")[:3]]
    return sum(channels) < 3 * 80


def _two_lists(engine: Engine, email: str, *, language: str) -> tuple[Person, Person]:
    with transaction(engine) as session:
        get_edition(session)
        add_edition(
            session,
            "en",
            change=EditionChange({"name": "AI Weekly", "language": "en", "list_name": WEEKLY}),
        )
    weekly = add_person(engine, email, list_name=WEEKLY)
    daily = add_person(engine, email)
    with transaction(engine) as session:
        person = session.get(Subscriber, daily.subscriber_id)
        assert person is not None
        person.language = language
    return daily, weekly


WORDS = {
    "zh-CN": {"saved": "您的订阅设置已保存。", "all": "全部退订", "done_all": "已全部退订"},
    "en": {"saved": "Your preferences are saved.", "all": "Unsubscribe from all",
           "done_all": "Unsubscribed from everything"},
}  # fmt: skip


@pytest.mark.parametrize(
    ("language", "scheme"), [("zh-CN", "light"), ("zh-CN", "dark"), ("en", "light"), ("en", "dark")]
)
def test_preference_page_in_chromium(
    served: Settings, engine: Engine, browser: Browser, language: str, scheme: Scheme
) -> None:
    # The English reader's email came from the Chinese list, and the other way round: the
    # page speaks the reader's language, not the list's.
    daily, weekly = _two_lists(engine, "reader@example.com", language=language)
    link_list = weekly if language == "zh-CN" else daily
    url = (
        f"{served.base_url}/preferences/{person_token(served, link_list, TokenPurpose.PREFERENCES)}"
    )
    page = _tab(browser, scheme=scheme)
    before = db_state(engine)
    # A link scanner's GETs (no browser state, several times) change nothing.
    for _ in range(2):
        assert page.request.get(url).status == 200
    page.goto(url)
    assert db_state(engine) == before
    assert page.locator("html").get_attribute("lang") == language
    assert _card_is_dark(page) is (scheme == "dark")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    _shot(page, f"web-preferences-{language}-{scheme}")

    # Leave the weekly, keep the daily, choose the other language.
    other = "en" if language == "zh-CN" else "zh-CN"
    page.locator(f"#list-{weekly.list_id}").uncheck()
    page.locator("#language").select_option(other)
    page.locator("#save").click()
    page.get_by_text(WORDS[other]["saved"]).wait_for()
    assert page.locator("html").get_attribute("lang") == other
    assert _on(engine, daily, weekly) == ["active", "unsubscribed"]
    _shot(page, f"web-preferences-{language}-{scheme}-saved")

    # Unsubscribe from everything.
    page.get_by_role("button", name=WORDS[other]["all"]).click()
    page.locator("#unsubscribe-all").wait_for(state="detached")
    assert _on(engine, daily, weekly) == ["unsubscribed", "unsubscribed"]
    assert WORDS[other]["done_all"] not in page.content()  # a notice, not the page title
    kinds = [(e.kind.value, e.method) for e in events_of(engine, daily.subscriber_id)]
    assert kinds[-3:] == [
        ("unsubscribed", "preferences"),
        ("language_changed", "preferences"),
        ("unsubscribed", "preferences"),
    ]

    # Subscribe again to exactly the daily: pending until the emailed link is followed.
    page.locator(f"#list-{daily.list_id}").check()
    page.locator("#save").click()
    page.locator("#notice").wait_for()
    assert _on(engine, daily, weekly) == ["pending", "unsubscribed"]
    deadline = time.monotonic() + 10
    while not read_outbox(Path(served.file_outbox)):
        assert time.monotonic() < deadline, "no confirmation email"
        time.sleep(0.05)
    _shot(page, f"web-preferences-{language}-{scheme}-rejoined")
    assert not page.context.cookies()

    desktop = _tab(browser, scheme=scheme, viewport=DESKTOP)
    desktop.goto(url)
    _shot(desktop, f"web-preferences-{language}-{scheme}-desktop")
    desktop.context.close()
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_unsubscribe_then_subscribe_again_to_that_list_in_chromium(
    served: Settings, engine: Engine, browser: Browser, scheme: Scheme
) -> None:
    daily, weekly = _two_lists(engine, "left@example.com", language="")
    page = _tab(browser, scheme=scheme)
    token = person_token(served, weekly, TokenPurpose.UNSUBSCRIBE)
    page.goto(f"{served.base_url}/unsubscribe/{token}")
    assert page.locator("html").get_attribute("lang") == "en"  # the weekly's language
    page.get_by_text("You are also subscribed to: AI 日报").wait_for()
    _shot(page, f"web-unsubscribe-other-lists-{scheme}")
    page.locator("#unsubscribe").click()
    page.locator("#resubscribe").wait_for()
    assert _on(engine, weekly, daily) == ["unsubscribed", "active"]
    _shot(page, f"web-unsubscribed-{scheme}")
    page.locator("#resubscribe").click()  # exactly the weekly, not the default list
    page.locator("#notice").wait_for()
    assert _on(engine, weekly, daily) == ["pending", "active"]
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dead_ends_offer_the_way_on_in_chromium(
    served: Settings, engine: Engine, browser: Browser, scheme: Scheme
) -> None:
    page = _tab(browser, scheme=scheme)
    page.goto(f"{served.base_url}/no-such-page")
    page.get_by_role("link", name="返回往期回顾").wait_for()
    _shot(page, f"web-deadend-404-{scheme}")
    page.goto(f"{served.base_url}/unsubscribe/not-a-token")
    page.get_by_role("link", name="订阅").wait_for()
    _shot(page, f"web-deadend-invalid-{scheme}")
    person = add_person(engine, "late@example.com", confirmed=False)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=served.confirm_token_days + 1)
    page.goto(f"{served.base_url}/confirm/{confirm_token(served, person, now=old)}")
    page.get_by_role("heading", name="链接已过期").wait_for()
    _shot(page, f"web-deadend-expired-{scheme}")
    page.locator("#resend").click()
    page.get_by_role("heading", name="请查收确认邮件").wait_for()
    deadline = time.monotonic() + 10
    while len(read_outbox(Path(served.file_outbox))) < 1:
        assert time.monotonic() < deadline, "no new confirmation email"
        time.sleep(0.05)
    assert _statuses(engine) == ["pending"]
    page.context.close()


def test_demo_archive_shows_its_images_in_chromium(
    served: Settings, engine: Engine, browser: Browser
) -> None:
    # The local media store over http on loopback, as `make demo` serves it.
    image = picture(600, 300, hue=200, label="demo")
    path = served.media_dir / "source.png"
    served.media_dir.mkdir(parents=True, exist_ok=True)
    image.save(path)
    data = path.read_bytes()
    name = media_name(data, "png")
    LocalMediaStore(served.media_dir, base_url="").put(name, data, "image/png")
    src = f"{served.base_url}/media/{name}"
    day = dt.date(2025, 8, 14)
    with transaction(engine) as session:
        session.add(
            Issue(
                edition=get_edition(session),
                date=day,
                subject="AI 日报",
                summary="",
                preheader="",
                sections=[],
                status=IssueStatus.SENT,
                rendered_subject="AI 日报",
                rendered_html=f'<html lang="zh-CN"><p>今天</p><img id="pic" src="{src}" alt="图"></html>',
                rendered_text="今天",
                rendered_at=dt.datetime.now(dt.UTC),
                sent_at=dt.datetime.now(dt.UTC),
            )
        )
    page = _tab(browser, scheme="light", viewport=DESKTOP)
    page.goto(f"{served.base_url}/archive/default/{day.isoformat()}")
    page.locator("#pic").wait_for()
    page.wait_for_function("document.getElementById('pic').complete")
    assert page.evaluate("document.getElementById('pic').naturalWidth") == 600
    _shot(page, "web-demo-archive")
    page.context.close()

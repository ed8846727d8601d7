"""The preference page, the unsubscribe page's way on, expired confirm links and dead ends,
through the app (both databases): GETs change nothing, every change is an event."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from newsletter.archive import image_sources
from newsletter.audience import erase_subscriber
from newsletter.db import transaction
from newsletter.editions import EditionChange, add_edition, get_edition
from newsletter.models import MailingList, Subscriber
from newsletter.render import RenderedEmail
from newsletter.sending.ledger import Job
from newsletter.sending.personal import IssueMailer
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from subscribers.pages import content_security_policy
from tests.support.audience import confirm_token, db_state, events_of, person_token
from tests.support.factories import Person, add_person
from tests.support.mail import part_text, read_outbox

WEEKLY = "weekly"


@pytest.fixture
def english_weekly(engine: Engine) -> None:
    """A second edition, English, sending to the list ``weekly``."""
    with transaction(engine) as session:
        get_edition(session)
        add_edition(
            session,
            "en",
            change=EditionChange({"name": "AI Weekly", "language": "en", "list_name": WEEKLY}),
        )


def _prefs(settings: Settings, person: Person) -> str:
    return f"/preferences/{person_token(settings, person, TokenPurpose.PREFERENCES)}"


def _kinds(engine: Engine, person: Person) -> list[tuple[str, str]]:
    return [(e.kind.value, e.method) for e in events_of(engine, person.subscriber_id)]


def _statuses(engine: Engine) -> list[str]:
    return [s[2] for s in db_state(engine).subscriptions]


def test_the_page_shows_every_list_and_a_get_changes_nothing(
    client: TestClient, web_settings: Settings, engine: Engine, english_weekly: None
) -> None:
    daily = add_person(engine, "reader@example.com")
    add_person(engine, "reader@example.com", list_name=WEEKLY)
    before = db_state(engine)
    url = _prefs(web_settings, daily)
    for _ in range(3):  # a link scanner, a preview, the person
        page = client.get(url)
        assert page.status_code == 200
    assert db_state(engine) == before
    assert 'lang="zh-CN"' in page.text  # the list's (daily: the default edition's) language
    assert "re***@example.com" in page.text
    assert "reader@example.com" not in page.text
    assert "AI 日报" in page.text
    assert "AI Weekly" in page.text
    assert page.text.count('type="checkbox"') == 2
    assert page.headers["cache-control"] == "no-store"
    assert "prefers-color-scheme: dark" in page.text
    assert not page.cookies


def test_save_leaves_a_list_and_changes_the_language_as_events(
    client: TestClient, web_settings: Settings, engine: Engine, english_weekly: None
) -> None:
    daily = add_person(engine, "reader@example.com")
    weekly = add_person(engine, "reader@example.com", list_name=WEEKLY)
    url = _prefs(web_settings, daily)
    done = client.post(url, data={"do": "save", "list": [str(weekly.list_id)], "language": "en"})
    assert done.status_code == 200
    # The page answers in the language just chosen.
    assert 'lang="en"' in done.text
    assert "Your preferences are saved." in done.text
    assert _statuses(engine) == ["unsubscribed", "active"]
    kinds = _kinds(engine, daily)
    assert ("unsubscribed", "preferences") in kinds
    assert ("language_changed", "preferences") in kinds
    with transaction(engine) as session:
        person = session.get(Subscriber, daily.subscriber_id)
        assert person is not None
        assert person.language == "en"
    # The same POST again changes nothing more.
    count = len(events_of(engine, daily.subscriber_id))
    client.post(url, data={"do": "save", "list": [str(weekly.list_id)], "language": "en"})
    assert len(events_of(engine, daily.subscriber_id)) == count
    # A language the page does not offer is refused, and nothing changes.
    bad = client.post(url, data={"do": "save", "list": [str(weekly.list_id)], "language": "xx"})
    assert bad.status_code == 400
    assert len(events_of(engine, daily.subscriber_id)) == count


def test_rejoin_is_pending_until_the_emailed_link_is_confirmed(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "back@example.com")
    unsubscribe_url = f"/unsubscribe/{person_token(web_settings, person, TokenPurpose.UNSUBSCRIBE)}"
    done = client.post(unsubscribe_url, data={"confirm": "1"})
    assert _statuses(engine) == ["unsubscribed"]
    # "Subscribe again" is a POST to the preference page for exactly this list.
    action = re.search(r'<form method="post" action="(/preferences/[^"]+)">', done.text)
    assert action is not None
    assert f'name="list" value="{person.list_id}"' in done.text
    again = client.post(action.group(1), data={"do": "rejoin", "list": str(person.list_id)})
    assert again.status_code == 200
    assert "确认邮件" in again.text
    assert _statuses(engine) == ["pending"]  # never active without the person's confirmation
    [message] = read_outbox(Path(web_settings.file_outbox))
    link = re.search(r"https://news\.example\.com/confirm/\S+", part_text(message))
    assert link is not None
    client.post(link.group(0).removeprefix("https://news.example.com"))
    assert _statuses(engine) == ["active"]
    kinds = _kinds(engine, person)
    assert kinds[-4:] == [
        ("unsubscribed", "link"),
        ("subscribed", "preferences"),
        ("confirmation_sent", "preferences"),
        ("confirmed", "link"),
    ]


def test_unsubscribe_from_all_on_both_pages(
    client: TestClient, web_settings: Settings, engine: Engine, english_weekly: None
) -> None:
    daily = add_person(engine, "all@example.com")
    add_person(engine, "all@example.com", list_name=WEEKLY)
    token = person_token(web_settings, daily, TokenPurpose.UNSUBSCRIBE)
    page = client.get(f"/unsubscribe/{token}")
    # The unsubscribe page names the other list and offers leaving everything.
    assert "您还订阅了：AI Weekly" in page.text
    assert 'id="unsubscribe-all"' in page.text
    assert 'href="/preferences/' in page.text
    done = client.post(f"/unsubscribe/{token}", data={"scope": "all"})
    assert "已全部退订" in done.text
    assert _statuses(engine) == ["unsubscribed", "unsubscribed"]
    # One-click (RFC 8058) stays per list, whatever the body carries besides.
    other = add_person(engine, "one@example.com")
    add_person(engine, "one@example.com", list_name=WEEKLY)
    one = person_token(web_settings, other, TokenPurpose.UNSUBSCRIBE)
    client.post(f"/unsubscribe/{one}", data={"List-Unsubscribe": "One-Click", "scope": "all"})
    assert _statuses(engine)[2:] == ["unsubscribed", "active"]
    # The preference page's button does the same.
    prefs = client.post(_prefs(web_settings, other), data={"do": "unsubscribe-all"})
    assert prefs.status_code == 200
    assert _statuses(engine)[2:] == ["unsubscribed", "unsubscribed"]
    assert _kinds(engine, other)[-1] == ("unsubscribed", "preferences")


def test_pages_follow_the_readers_language_else_the_lists(
    client: TestClient, web_settings: Settings, engine: Engine, english_weekly: None
) -> None:
    reader = add_person(engine, "zh@example.com", list_name=WEEKLY)
    with transaction(engine) as session:
        person = session.get(Subscriber, reader.subscriber_id)
        assert person is not None
        person.language = "zh-CN"
    token = person_token(web_settings, reader, TokenPurpose.UNSUBSCRIBE)
    page = client.get(f"/unsubscribe/{token}")
    assert 'lang="zh-CN"' in page.text  # a Chinese reader of the English list
    assert "AI Weekly" in page.text
    stranger = add_person(engine, "fr@example.com", list_name=WEEKLY)
    with transaction(engine) as session:
        person = session.get(Subscriber, stranger.subscriber_id)
        assert person is not None
        person.language = "fr"  # no words for French: the list's language
    page = client.get(
        f"/unsubscribe/{person_token(web_settings, stranger, TokenPurpose.UNSUBSCRIBE)}"
    )
    assert 'lang="en"' in page.text


def test_tampered_foreign_and_erased_links_are_refused_with_a_way_on(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "gone@example.com")
    good = _prefs(web_settings, person).rsplit("/", 1)[1]
    wrong_purpose = person_token(web_settings, person, TokenPurpose.UNSUBSCRIBE)
    before = db_state(engine)
    for token in (good[:-2] + "xx", wrong_purpose, "garbage", "x" * 600):
        for verb in ("GET", "POST"):
            response = client.request(verb, f"/preferences/{token}", data={"do": "unsubscribe-all"})
            assert response.status_code == 400
            assert 'href="/archive"' in response.text
    assert db_state(engine) == before
    with transaction(engine) as session:
        erase_subscriber(session, email="gone@example.com")
    assert client.get(f"/preferences/{good}").status_code == 400
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert 'href="/archive"' in missing.text
    assert 'href="/subscribe"' in missing.text


def test_an_expired_confirm_link_offers_a_new_one_throttled(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "slow@example.com", confirmed=False)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=web_settings.confirm_token_days + 1)
    expired = confirm_token(web_settings, person, now=old)
    page = client.get(f"/confirm/{expired}")
    assert page.status_code == 400
    assert "链接已过期" in page.text
    before = db_state(engine)
    for _ in range(4):  # the per-address limit of the tests' settings is 2
        answer = client.post(f"/confirm/{expired}/renew")
        assert answer.status_code == 200
        assert "请查收确认邮件" in answer.text
    messages = read_outbox(Path(web_settings.file_outbox))
    assert len(messages) == 2
    assert db_state(engine).subscriptions == before.subscriptions  # still pending
    link = re.search(r"https://news\.example\.com(/confirm/\S+)", part_text(messages[0]))
    assert link is not None
    client.post(link.group(1))
    assert _statuses(engine) == ["active"]
    # Confirmed: asking again sends nothing (the same answer).
    client.post(f"/confirm/{expired}/renew")
    assert len(read_outbox(Path(web_settings.file_outbox))) == 2
    # A forged "expired" token is just invalid.
    assert client.post(f"/confirm/{expired[:-2]}xx/renew").status_code == 400


def test_every_issue_email_links_to_the_readers_preference_page(web_settings: Settings) -> None:
    rendered = RenderedEmail(
        subject="s",
        html='<html lang="zh-CN"><a href="__NEWSLETTER_PREFERENCES_URL__">设置</a> '
        '<a href="__NEWSLETTER_UNSUBSCRIBE_URL__">退订</a></html>',
        text="__NEWSLETTER_PREFERENCES_URL__\n__NEWSLETTER_UNSUBSCRIBE_URL__",
    )
    mailer = IssueMailer(
        web_settings,
        rendered=rendered,
        issue_id=1,
        issue_date="2025-08-14",
        list_id=3,
        list_name="daily",
    )
    message = mailer.message(Job(1, 42, "reader@example.com", ""))
    body = message.raw.decode("utf-8", "replace")
    found = re.search(r"https://news\.example\.com/preferences/([A-Za-z0-9_.-]+)", body)
    assert found is not None
    data = read_token(web_settings, found.group(1), purpose=TokenPurpose.PREFERENCES)
    assert (data.subscriber_id, data.list_id) == (42, 3)
    assert "__NEWSLETTER_" not in body


def test_the_csp_admits_the_media_store_over_http_only_on_loopback(
    web_settings: Settings,
) -> None:
    demo = web_settings.model_copy(update={"base_url": "http://127.0.0.1:8000"})
    assert image_sources(demo) == ("http://127.0.0.1:8000",)
    assert "img-src https: data: http://127.0.0.1:8000;" in content_security_policy(demo)
    public = web_settings.model_copy(update={"media_base_url": "http://cdn.example.com/media"})
    assert image_sources(public) == ()
    assert image_sources(web_settings) == ()  # https is admitted already


def test_subscribe_with_a_list_query_joins_that_list(
    client: TestClient, web_settings: Settings, engine: Engine, english_weekly: None
) -> None:
    form = client.get(f"/subscribe?list={WEEKLY}")
    assert form.status_code == 200
    assert 'lang="en"' in form.text
    done = client.post(f"/subscribe?list={WEEKLY}", data={"email": "new@example.com"})
    assert done.status_code == 200
    state = db_state(engine)
    with transaction(engine) as session:
        weekly_id = session.scalar(select(MailingList.id).where(MailingList.name == WEEKLY))
    assert [(s[1], s[2]) for s in state.subscriptions] == [(weekly_id, "pending")]
    [message] = read_outbox(Path(web_settings.file_outbox))
    assert "AI Weekly" in str(message["Subject"])
    # A list no edition sends to cannot be joined from the web.
    assert client.get("/subscribe?list=secret").status_code == 404

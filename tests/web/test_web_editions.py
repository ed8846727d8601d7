"""Editions on the web: an archive, a feed and a sign-up form per edition, each in the
edition's language; personal-link pages in the language of the list's edition; the URLs of
emails sent before editions redirect to the default edition's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.editions import EditionChange, add_edition, get_edition, update_edition
from newsletter.items import store_digest
from newsletter.models import (
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from newsletter.render import render_and_store
from newsletter.render.context import issue_context
from newsletter.settings import Settings
from tests.support.audience import confirm_token, unsubscribe_token
from tests.support.factories import add_person, issue_from_digest
from tests.support.mail import part_text, read_outbox

DAY = dt.date(2025, 8, 14)
EN_LIST = "en-daily"


@pytest.fixture
def editions(engine: Engine) -> None:
    """Two editions: ``cn`` (the default, renamed from ``default``: the settings' zh-CN and
    list) and ``en`` (English, its own name and list)."""
    with transaction(engine) as session:
        get_edition(session)
        update_edition(session, "default", change=EditionChange({}), new_slug="cn")
        add_edition(
            session,
            "en",
            change=EditionChange({"name": "AI Daily", "language": "en", "list_name": EN_LIST}),
        )


def add_edition_issue(
    engine: Engine,
    slug: str,
    day: dt.date,
    *,
    subject: str,
    status: IssueStatus = IssueStatus.SENT,
) -> None:
    """An issue of edition ``slug`` with a stored rendering ``<p>{subject}</p>``."""
    with transaction(engine) as session:
        session.add(
            Issue(
                edition=get_edition(session, slug),
                date=day,
                subject=subject,
                summary="",
                preheader=f"{subject} summary",
                sections=[],
                status=status,
                rendered_subject=subject,
                rendered_html=f"<p>{subject}</p>",
                rendered_text=subject,
                rendered_at=dt.datetime.now(dt.UTC),
                sent_at=dt.datetime.now(dt.UTC) if status is IssueStatus.SENT else None,
            )
        )


@pytest.fixture
def two_issues(engine: Engine, editions: None) -> None:
    """A public issue of each edition on the same day, and an unsent one of ``en``."""
    add_edition_issue(engine, "cn", DAY, subject="中文第十四期")
    add_edition_issue(engine, "en", DAY, subject="English issue 14")
    add_edition_issue(
        engine, "en", DAY + dt.timedelta(days=1), subject="EN draft", status=IssueStatus.RENDERED
    )


def _feed(client: TestClient, path: str) -> ET.Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["content-type"].startswith("application/rss+xml")
    channel = ET.fromstring(response.content).find("channel")  # noqa: S314 (our own output)
    assert channel is not None
    return channel


# --- the archive --------------------------------------------------------------------------


def test_each_edition_serves_its_own_issue_of_the_same_day(
    client: TestClient, two_issues: None
) -> None:
    cn = client.get("/archive/cn/2025-08-14")
    en = client.get("/archive/en/2025-08-14")
    assert (cn.status_code, cn.text) == (200, "<p>中文第十四期</p>")
    assert (en.status_code, en.text) == (200, "<p>English issue 14</p>")
    assert cn.headers["cache-control"] == en.headers["cache-control"] == "public, max-age=300"
    for path in ("/archive/en/2025-08-15", "/archive/fr/2025-08-14", "/archive/cn/2025-08-15"):
        assert client.get(path).status_code == 404, path  # unsent, no such edition, no issue
    redirect = client.get("/archive/en/20250814", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (301, "/archive/en/2025-08-14")


def test_each_index_lists_only_its_edition_in_its_language(
    client: TestClient, two_issues: None
) -> None:
    en = client.get("/archive/en")
    assert en.status_code == 200
    assert 'lang="en"' in en.text
    assert "Past issues" in en.text
    assert "<header>AI Daily</header>" in en.text
    assert 'href="/archive/en/2025-08-14"' in en.text
    assert "English issue 14" in en.text
    assert "中文第十四期" not in en.text
    assert "EN draft" not in en.text
    assert 'href="/archive/en/feed.xml"' in en.text
    assert 'href="/subscribe?edition=en"' in en.text
    cn = client.get("/archive/cn")
    assert 'lang="zh-CN"' in cn.text
    assert "往期回顾" in cn.text
    assert 'href="/archive/cn/2025-08-14"' in cn.text
    assert "English issue 14" not in cn.text
    assert 'href="/subscribe"' in cn.text  # the default edition's form is plain /subscribe
    assert client.get("/archive/fr").status_code == 404


def test_each_feed_lists_only_its_edition(client: TestClient, two_issues: None) -> None:
    en = _feed(client, "/archive/en/feed.xml")
    assert en.findtext("title") == "AI Daily"
    assert en.findtext("language") == "en"
    assert en.findtext("link") == "https://news.example.com/archive/en"
    assert [i.findtext("title") for i in en.findall("item")] == ["English issue 14"]
    assert [i.findtext("link") for i in en.findall("item")] == [
        "https://news.example.com/archive/en/2025-08-14"
    ]
    cn = _feed(client, "/archive/cn/feed.xml")
    assert cn.findtext("title") == "AI 日报"
    assert cn.findtext("language") == "zh-cn"
    assert [i.findtext("link") for i in cn.findall("item")] == [
        "https://news.example.com/archive/cn/2025-08-14"
    ]
    assert client.get("/archive/fr/feed.xml").status_code == 404


def test_urls_of_emails_sent_before_editions_redirect_to_the_default_edition(
    client: TestClient, two_issues: None
) -> None:
    for old, new in (
        ("/archive/2025-08-14", "/archive/cn/2025-08-14"),
        ("/archive/20250814", "/archive/cn/2025-08-14"),
        ("/archive/feed.xml", "/archive/cn/feed.xml"),
    ):
        response = client.get(old, follow_redirects=False)
        assert response.status_code == 301, old
        assert response.headers["location"] == new
    assert client.get("/archive/2025-08-14").text == "<p>中文第十四期</p>"


def test_the_archive_lists_the_editions_each_in_its_language(
    client: TestClient, two_issues: None
) -> None:
    response = client.get("/archive", follow_redirects=False)
    assert response.status_code == 200
    page = response.text
    assert 'lang="zh-CN"' in page.split("\n", 2)[1]  # the page is the default edition's
    assert page.index('href="/archive/cn"') < page.index('href="/archive/en"')
    assert 'href="/archive/en/feed.xml"' in page
    assert 'href="/subscribe?edition=en"' in page
    assert "Past issues" in page  # the English edition's links are in English
    assert "往期回顾" in page


# --- the links of the email --------------------------------------------------------------


def test_the_email_links_to_its_editions_archive(
    engine: Engine, web_settings: Settings, editions: None, samples: Path, client: TestClient
) -> None:
    digest = load_digests(samples / "ai-daily-2025-08-14.md")[0]
    with transaction(engine) as session:
        en = get_edition(session, "en")
        store_digest(session, digest, source="sample", edition=en)
        issue = compose_issue(session, date=digest.date, edition=en)
        rendered = render_and_store(session, issue, web_settings)
        issue.status = IssueStatus.SENT
    for part in (rendered.html, rendered.text):
        assert "https://news.example.com/archive/en/2025-08-14" in part
        assert "https://news.example.com/archive/en" in part
        assert "https://news.example.com/archive/2025-08-14" not in part
    assert 'href="https://news.example.com/archive/en"' in rendered.html
    page = client.get("/archive/en/2025-08-14")
    assert page.status_code == 200
    assert "https://news.example.com/archive/en/2025-08-14" in page.text


def test_an_issue_without_an_edition_links_to_the_default_slug(
    web_settings: Settings, samples: Path
) -> None:
    issue = issue_from_digest(samples / "ai-daily-2025-08-14.md")
    ctx = issue_context(issue, web_settings, subject="s", test=False)
    assert ctx["archive_url"] == "https://news.example.com/archive/default/2025-08-14"
    assert ctx["archive_index_url"] == "https://news.example.com/archive/default"


# --- sign-up, confirm and unsubscribe in the edition's language ----------------------------


def _subscriptions(engine: Engine) -> list[tuple[str | None, str, str]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(Subscriber.email, MailingList.name, Subscription.status)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .join(MailingList, MailingList.id == Subscription.list_id)
            .order_by(Subscriber.email)
        )
        return [(e, n, SubscriptionStatus(s).value) for e, n, s in rows]


@pytest.mark.parametrize("query", ["edition=en", f"list={EN_LIST}"])
def test_the_en_form_is_english_and_joins_the_en_list(
    client: TestClient, engine: Engine, web_settings: Settings, editions: None, query: str
) -> None:
    form = client.get(f"/subscribe?{query}")
    assert form.status_code == 200
    assert 'lang="en"' in form.text
    assert "Subscribe to AI Daily" in form.text
    assert "Email address" in form.text
    answer = client.post(f"/subscribe?{query}", data={"email": "reader@example.com", "name": ""})
    assert answer.status_code == 200
    assert "Check your inbox" in answer.text
    assert _subscriptions(engine) == [("reader@example.com", EN_LIST, "pending")]
    [message] = read_outbox(Path(web_settings.file_outbox))
    assert message["Subject"] == "Confirm your subscription to AI Daily"
    assert "https://news.example.com/confirm/" in part_text(message)


def test_the_plain_form_is_the_default_editions(
    client: TestClient, engine: Engine, web_settings: Settings, editions: None
) -> None:
    form = client.get("/subscribe")
    assert 'lang="zh-CN"' in form.text
    assert "订阅AI 日报" in form.text
    client.post("/subscribe", data={"email": "duzhe@example.com", "name": ""})
    # The default edition sets no list of its own: the settings' list.
    assert _subscriptions(engine) == [("duzhe@example.com", web_settings.default_list, "pending")]


@pytest.mark.parametrize(
    "query", ["edition=fr", "list=staff", f"edition=cn&list={EN_LIST}", "edition=" + "x" * 300]
)
def test_a_form_of_no_edition_is_not_found(
    client: TestClient, engine: Engine, editions: None, query: str
) -> None:
    add_person(engine, "staff@example.com", list_name="staff")  # a list no edition sends to
    assert client.get(f"/subscribe?{query}").status_code == 404
    response = client.post(f"/subscribe?{query}", data={"email": "x@example.com", "name": ""})
    assert response.status_code == 404
    assert [row[0] for row in _subscriptions(engine)] == ["staff@example.com"]


def test_unsubscribe_pages_are_in_the_language_of_the_lists_edition(
    client: TestClient, engine: Engine, web_settings: Settings, editions: None
) -> None:
    reader = add_person(engine, "reader@example.com", list_name=EN_LIST)
    duzhe = add_person(engine, "duzhe@example.com")
    path = f"/unsubscribe/{unsubscribe_token(web_settings, reader)}"
    page = client.get(path)
    assert page.status_code == 200
    assert 'lang="en"' in page.text
    assert "Unsubscribe re***@example.com from AI Daily?" in page.text
    done = client.post(path)
    assert done.status_code == 200
    assert 'lang="en"' in done.text
    assert "You are unsubscribed from AI Daily" in done.text
    # "Subscribe again" is exactly the list left (a POST to the preference page).
    assert "Subscribe to AI Daily again" in done.text
    assert '<input type="hidden" name="do" value="rejoin">' in done.text
    assert _subscriptions(engine)[1] == ("reader@example.com", EN_LIST, "unsubscribed")
    zh = client.get(f"/unsubscribe/{unsubscribe_token(web_settings, duzhe)}")
    assert 'lang="zh-CN"' in zh.text
    assert "退订「AI 日报」" in zh.text


def test_a_list_of_no_edition_keeps_the_settings_language(
    client: TestClient, engine: Engine, web_settings: Settings, editions: None
) -> None:
    staff = add_person(engine, "staff@example.com", list_name="staff")
    page = client.get(f"/unsubscribe/{unsubscribe_token(web_settings, staff)}")
    assert 'lang="zh-CN"' in page.text
    assert "「staff」" in page.text


def test_confirm_pages_are_in_the_language_of_the_lists_edition(
    client: TestClient, engine: Engine, web_settings: Settings, editions: None
) -> None:
    reader = add_person(engine, "reader@example.com", list_name=EN_LIST, confirmed=False)
    path = f"/confirm/{confirm_token(web_settings, reader)}"
    page = client.get(path)
    assert 'lang="en"' in page.text
    assert "Confirm your subscription to AI Daily?" in page.text
    done = client.post(path)
    assert done.status_code == 200
    assert 'lang="en"' in done.text
    assert "Thank you for subscribing to AI Daily!" in done.text
    assert _subscriptions(engine) == [("reader@example.com", EN_LIST, "active")]

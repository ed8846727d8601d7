"""Archive pages, the RSS feed, and the health check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from newsletter.db import transaction
from newsletter.models import Issue, IssueStatus
from newsletter.render import NAME_MARK, UNSUBSCRIBE_URL_MARK
from newsletter.render.issue import stored_rendering
from newsletter.render.personalize import archive_copy
from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.factories import add_issue, publish_sample


def test_archive_lists_only_sent_issues_newest_first(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 13), subject="第十三期")
    add_issue(engine, dt.date(2025, 8, 15), subject="第十五期")
    add_issue(engine, dt.date(2025, 8, 16), subject="草稿", status=IssueStatus.DRAFT)
    add_issue(engine, dt.date(2025, 8, 17), subject="渲染", status=IssueStatus.RENDERED)
    add_issue(engine, dt.date(2025, 8, 18), subject="发送中", status=IssueStatus.SENDING)
    response = client.get("/archive/default")
    assert response.status_code == 200
    page = response.text
    assert page.index("发送中") < page.index("第十五期") < page.index("第十三期")
    assert "草稿" not in page
    assert "渲染" not in page
    assert 'href="/archive/default/2025-08-15"' in page
    assert 'href="/archive/default/feed.xml"' in page
    assert 'lang="zh-CN"' in page


def test_empty_archive(client: TestClient) -> None:
    # With one edition, /archive (the "past issues" link of older emails) is its archive.
    response = client.get("/archive", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/archive/default")
    assert "还没有已发送的期刊" in client.get("/archive").text


def test_issue_page_is_the_sent_email_without_personal_links(
    client: TestClient, engine: Engine, web_settings: Settings, samples: Path
) -> None:
    issue = publish_sample(engine, web_settings, samples / "ai-daily-2025-08-14.md")
    assert issue.rendered_html is not None
    assert UNSUBSCRIBE_URL_MARK in issue.rendered_html
    response = client.get("/archive/default/2025-08-14")
    assert response.status_code == 200
    page = response.text
    assert UNSUBSCRIBE_URL_MARK not in page
    assert NAME_MARK not in page
    assert "/unsubscribe/" not in page
    assert "退订" not in page  # no unsubscribe link at all: a sign-up link instead
    assert 'href="https://news.example.com/subscribe?edition=default"' in page
    # Everything else is the stored rendering, with its public variant kept.
    stored = stored_rendering(issue)
    assert stored is not None
    assert page == archive_copy(stored).html
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_an_issue_being_sent_is_already_in_the_archive(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 18), html="<p>正在发送</p>", status=IssueStatus.SENDING)
    response = client.get("/archive/default/2025-08-18")
    assert response.status_code == 200
    assert response.text == "<p>正在发送</p>"


def test_unknown_unsent_and_malformed_dates_are_404(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 16), status=IssueStatus.RENDERED)
    for path in (
        "/archive/default/2025-08-01",
        "/archive/default/2025-08-16",
        "/archive/default/yesterday",
        "/archive/yesterday",
        "/archive/nowhere/2025-08-16",
        "/nowhere",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "页面不存在" in response.text


def test_feed_is_rss_with_absolute_links(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 13), subject="第十三期 <AI> & 更多")
    add_issue(engine, dt.date(2025, 8, 15), subject="第十五期")
    add_issue(engine, dt.date(2025, 8, 16), subject="草稿", status=IssueStatus.DRAFT)
    response = client.get("/archive/default/feed.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (the service's own output)
    assert root.tag == "rss"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("title") == "AI 日报"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["第十五期", "第十三期 <AI> & 更多"]
    assert [i.findtext("link") for i in items] == [
        "https://news.example.com/archive/default/2025-08-15",
        "https://news.example.com/archive/default/2025-08-13",
    ]
    assert all(i.findtext("pubDate", "").endswith("GMT") for i in items)
    assert items[0].findtext("description") == "<p>第十五期 摘要</p>"


def test_feed_descriptions_are_sanitized_html(client: TestClient, engine: Engine) -> None:
    day = dt.date(2025, 8, 15)
    issue_id = add_issue(engine, day, subject="第十五期")
    with transaction(engine) as session:
        issue = session.get(Issue, issue_id)
        assert issue is not None
        issue.preheader = '<img src=x onerror="alert(1)"> **要点** [链接](javascript:alert(1))'
    root = ET.fromstring(client.get("/archive/default/feed.xml").content)  # noqa: S314
    description = root.findtext("channel/item/description")
    # A feed reader renders this as HTML: the markup of the summary is text in it.
    assert description == (
        '<p>&lt;img src=x onerror="alert(1)"&gt; <strong>要点</strong> [链接](javascript:alert(1))</p>'
    )


def test_no_link_or_redirect_is_built_from_the_host_header(
    client: TestClient, engine: Engine, web_settings: Settings
) -> None:
    add_issue(engine, dt.date(2025, 8, 15))
    evil = {"host": "evil.example"}
    feed = client.get("/archive/default/feed.xml", headers=evil)
    assert b"evil.example" not in feed.content
    assert b"https://news.example.com/archive/default/2025-08-15" in feed.content
    for path, target in (
        ("/archive/", "/archive"),
        ("/unsubscribe/some-token/", "/unsubscribe/some-token"),
        ("/archive/default/2025-08-15/?utm=1", "/archive/default/2025-08-15?utm=1"),
    ):
        response = client.get(path, headers=evil, follow_redirects=False)
        assert response.status_code == 307, path
        assert response.headers["location"] == target
    assert "evil.example" not in client.get("/archive", headers=evil).text
    for path in ("//evil.example/", "/nowhere/"):
        assert client.get(path, headers=evil, follow_redirects=False).status_code == 404
    # Without NEWSLETTER_BASE_URL there is no feed rather than one on the client's host.
    unset = web_settings.model_copy(update={"base_url": ""})
    with TestClient(create_app(unset, engine=engine), base_url="https://news.example.com") as c:
        response = c.get("/archive/default/feed.xml", headers=evil)
    assert response.status_code == 503
    assert "evil.example" not in response.text


def test_other_spellings_of_a_date_redirect_to_the_canonical_one(
    client: TestClient, engine: Engine
) -> None:
    add_issue(engine, dt.date(2025, 9, 1))
    for spelling in ("20250901", "2025-W36-1", "2025W361"):
        response = client.get(f"/archive/default/{spelling}", follow_redirects=False)
        assert response.status_code == 301, spelling
        assert response.headers["location"] == "/archive/default/2025-09-01"
        # A link of an email sent before editions: straight to the default edition's page.
        response = client.get(f"/archive/{spelling}", follow_redirects=False)
        assert response.status_code == 301, spelling
        assert response.headers["location"] == "/archive/default/2025-09-01"
    assert client.get("/archive/default/2025-09-01", follow_redirects=False).status_code == 200
    assert client.get("/archive/default/2025-13-01").status_code == 404
    assert client.get("/archive/2025-13-01").status_code == 404


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_reports_an_unreachable_database(web_settings: Settings, tmp_path: Path) -> None:
    broken = create_engine(f"sqlite:///{tmp_path}/missing-dir/none.db")
    with TestClient(create_app(web_settings, engine=broken)) as test_client:
        response = test_client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_no_route_sets_cookies(client: TestClient) -> None:
    for path in ("/archive", "/subscribe", "/healthz", "/archive/feed.xml", "/archive/default"):
        assert "set-cookie" not in client.get(path).headers
    assert not client.cookies

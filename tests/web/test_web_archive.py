"""Archive pages, the RSS feed, and the health check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import Engine, create_engine
from starlette.testclient import TestClient

from newsletter.models import IssueStatus
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
    response = client.get("/archive")
    assert response.status_code == 200
    page = response.text
    assert page.index("发送中") < page.index("第十五期") < page.index("第十三期")
    assert "草稿" not in page
    assert "渲染" not in page
    assert 'href="/archive/2025-08-15"' in page
    assert 'href="/archive/feed.xml"' in page
    assert 'lang="zh-CN"' in page


def test_empty_archive(client: TestClient) -> None:
    assert "还没有已发送的期刊" in client.get("/archive").text


def test_issue_page_is_the_sent_email_without_personal_links(
    client: TestClient, engine: Engine, web_settings: Settings, samples: Path
) -> None:
    issue = publish_sample(engine, web_settings, samples / "ai-daily-2025-08-14.md")
    assert issue.rendered_html is not None
    assert UNSUBSCRIBE_URL_MARK in issue.rendered_html
    response = client.get("/archive/2025-08-14")
    assert response.status_code == 200
    page = response.text
    assert UNSUBSCRIBE_URL_MARK not in page
    assert NAME_MARK not in page
    assert "/unsubscribe/" not in page
    assert "退订" not in page  # no unsubscribe link at all: a sign-up link instead
    assert 'href="https://news.example.com/subscribe"' in page
    # Everything else is the stored rendering, with its public variant kept.
    stored = stored_rendering(issue)
    assert stored is not None
    assert page == archive_copy(stored).html
    assert "script-src" not in response.headers["content-security-policy"]
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_an_issue_being_sent_is_already_in_the_archive(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 18), html="<p>正在发送</p>", status=IssueStatus.SENDING)
    response = client.get("/archive/2025-08-18")
    assert response.status_code == 200
    assert response.text == "<p>正在发送</p>"


def test_unknown_unsent_and_malformed_dates_are_404(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 16), status=IssueStatus.RENDERED)
    for path in ("/archive/2025-08-01", "/archive/2025-08-16", "/archive/yesterday", "/nowhere"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "页面不存在" in response.text


def test_feed_is_rss_with_absolute_links(client: TestClient, engine: Engine) -> None:
    add_issue(engine, dt.date(2025, 8, 13), subject="第十三期 <AI> & 更多")
    add_issue(engine, dt.date(2025, 8, 15), subject="第十五期")
    add_issue(engine, dt.date(2025, 8, 16), subject="草稿", status=IssueStatus.DRAFT)
    response = client.get("/archive/feed.xml")
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
        "https://news.example.com/archive/2025-08-15",
        "https://news.example.com/archive/2025-08-13",
    ]
    assert all(i.findtext("pubDate", "").endswith("GMT") for i in items)
    assert items[0].findtext("description") == "第十五期 摘要"


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
    for path in ("/archive", "/subscribe", "/healthz", "/archive/feed.xml"):
        assert "set-cookie" not in client.get(path).headers
    assert not client.cookies

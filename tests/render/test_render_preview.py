"""The preview server as a library: start, fetch, stop."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from newsletter.models import Issue, IssueStatus
from newsletter.render import RenderedEmail
from newsletter.render.preview import (
    PreviewError,
    open_browser,
    preview_rendering,
    start_preview,
)
from newsletter.settings import Settings

EMAIL = RenderedEmail(subject="Sub <ject>", html="<!doctype html><p>你好</p>", text="你好 text")


def _fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_start_preview_serves_html_text_and_mobile() -> None:
    with start_preview(EMAIL) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert _fetch(server.url) == (200, "text/html; charset=utf-8", EMAIL.html)
        assert _fetch(server.url + "text") == (200, "text/plain; charset=utf-8", EMAIL.text)
        status, _, mobile = _fetch(server.url + "mobile?x=1")
        assert status == 200
        assert "width:375px" in mobile
        assert "Sub &lt;ject&gt;" in mobile
        with pytest.raises(urllib.error.HTTPError) as missing:
            _fetch(server.url + "nope")
        assert missing.value.code == 404
    # Stopped: nothing listens on the port any more (TIME_WAIT leftovers aside).
    port = int(server.url.rsplit(":", 1)[1].strip("/"))
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_taken_port_is_a_preview_error() -> None:
    with start_preview(EMAIL) as server:
        port = int(server.url.rsplit(":", 1)[1].strip("/"))
        with pytest.raises(PreviewError, match=f"cannot serve on 127.0.0.1:{port}"):
            start_preview(EMAIL, port=port)


def test_no_browser_without_a_display(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert open_browser("http://127.0.0.1:1/") is False


def test_preview_of_a_sent_issue_shows_what_was_sent(
    sample_issue: Issue, render_settings: Settings
) -> None:
    sample_issue.status = IssueStatus.SENT
    sample_issue.rendered_subject = "sent"
    sample_issue.rendered_html = (
        '<p>the sent bytes</p><a href="__NEWSLETTER_UNSUBSCRIBE_URL__">u</a>'
    )
    sample_issue.rendered_text = "sent text"
    shown = preview_rendering(sample_issue, render_settings)
    assert shown.html == (
        '<p>the sent bytes</p><a href="https://news.example.com/unsubscribe/test-send">u</a>'
    )
    public = preview_rendering(sample_issue, render_settings, public=True)
    assert public.html == '<p>the sent bytes</p><a href="https://news.example.com/archive">u</a>'
    sample_issue.status = IssueStatus.DRAFT
    fresh = preview_rendering(sample_issue, render_settings)
    assert "上海交通大学" in fresh.html

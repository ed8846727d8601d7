"""The lint of rendered emails: each check fires on its problem and stays quiet otherwise."""

from __future__ import annotations

from newsletter.models import Issue
from newsletter.render import (
    UNSUBSCRIBE_URL_MARK,
    LintWarning,
    RenderedEmail,
    lint_email,
    render_issue,
)
from newsletter.render.lint import SIZE_WARN_BYTES
from newsletter.settings import Settings

FOOTER = f'<a href="{UNSUBSCRIBE_URL_MARK}">unsubscribe</a>'
TEXT = f"hello\nunsubscribe: {UNSUBSCRIBE_URL_MARK}"


def _email(body: str, *, text: str = TEXT) -> RenderedEmail:
    return RenderedEmail(
        subject="s", html=f"<!doctype html><html><body>{body}{FOOTER}</body></html>", text=text
    )


def _codes(warnings: list[LintWarning]) -> list[str]:
    return [w.code for w in warnings]


def test_clean_email_has_no_warnings() -> None:
    body = '<img src="https://example.org/a.png" alt="a"><a href="https://example.org">x</a>'
    assert lint_email(_email(body)) == []


def test_size_over_90_kb_warns() -> None:
    assert lint_email(_email("x" * (SIZE_WARN_BYTES - 500))) == []
    warnings = lint_email(_email("x" * (SIZE_WARN_BYTES + 10)))
    assert _codes(warnings) == ["size"]
    assert "Gmail clips it" not in warnings[0].message
    clipped = lint_email(_email("汉" * 40_000))  # 120 KB of UTF-8
    assert "Gmail clips it" in clipped[0].message


def test_images_without_alt_text() -> None:
    warnings = lint_email(
        _email('<img src="https://example.org/a.png"><img src="https://example.org/b.png" alt=" ">')
    )
    assert _codes(warnings) == ["img-alt", "img-alt"]


def test_formats_outlook_does_not_show() -> None:
    body = "".join(
        f'<img src="{url}" alt="x">'
        for url in (
            "https://example.org/a.avif",
            "https://example.org/b.WEBP",
            "https://example.org/c.svg",
            "https://example.org/d?wx_fmt=webp",
            "https://example.org/e.png?fmt=auto",
            "https://example.org/f.jpg",
        )
    )
    warnings = lint_email(_email(body))
    assert _codes(warnings) == ["img-format"] * 4
    assert [w.message.split()[0] for w in warnings] == ["AVIF", "WEBP", "SVG", "WEBP"]


def test_http_links_and_images() -> None:
    body = (
        '<a href="http://example.org/a">a</a><a href="http://example.org/a">again</a>'
        '<img src="http://example.org/i.png" alt="i"><a href="mailto:x@example.com">m</a>'
    )
    assert _codes(lint_email(_email(body))) == ["insecure-image", "insecure-link"]


def test_missing_unsubscribe_and_text() -> None:
    email = RenderedEmail(subject="s", html="<p>hi</p>", text="")
    assert _codes(lint_email(email)) == ["no-text", "no-unsubscribe"]
    no_link_in_text = _email("", text="hello")
    assert _codes(lint_email(no_link_in_text)) == ["no-unsubscribe"]
    assert "plain-text" in lint_email(no_link_in_text)[0].message


def test_sample_issue_warnings(sample_issue: Issue, render_settings: Settings) -> None:
    warnings = lint_email(render_issue(sample_issue, render_settings))
    assert _codes(warnings) == ["img-format", "img-format", "insecure-link"]
    assert (
        str(warnings[-1]) == "insecure-link: link over http://: http://www.geekpark.net/news/352648"
    )


def test_2026_sample_is_clean(sample_issue_2026: Issue, render_settings: Settings) -> None:
    assert lint_email(render_issue(sample_issue_2026, render_settings)) == []

"""The double opt-in confirmation email."""

from __future__ import annotations

import pytest

from newsletter.errors import InputError
from newsletter.htmlscan import scan_html
from newsletter.optin import render_confirmation
from newsletter.render import UNSUBSCRIBE_URL_MARK, lint_email
from newsletter.settings import Settings

CONFIRM = "https://news.example.com/confirm?token=a.b-c&list=daily"


def test_confirmation_email(render_settings: Settings) -> None:
    email = render_confirmation(render_settings, confirm_url=CONFIRM, list_name="AI 日报")
    assert email.subject == "请确认订阅AI 日报"
    doc = scan_html(email.html)
    hrefs = [a.get("href") for a in doc.find("a")]
    assert hrefs.count(CONFIRM) == 2  # the button and the written-out link
    assert "确认订阅" in doc.text
    assert CONFIRM in email.text
    assert render_settings.postal_address in email.text
    assert email.html.startswith("<!doctype html>")
    # Shared layout: same head, fonts and dark mode as the issue.
    assert "prefers-color-scheme: dark" in email.html
    assert 'lang="zh-CN"' in email.html
    # Nobody is subscribed yet: no unsubscribe placeholder, and nothing else to lint.
    assert UNSUBSCRIBE_URL_MARK not in email.html
    assert [w.code for w in lint_email(email)] == ["no-unsubscribe", "no-unsubscribe"]


def test_confirmation_in_english(render_settings: Settings) -> None:
    settings = render_settings.model_copy(update={"language": "en"})
    email = render_confirmation(settings, confirm_url=CONFIRM, list_name="Daily")
    assert email.subject == "Confirm your subscription to Daily"
    assert "Confirm subscription" in email.text


def test_hostile_list_name_is_escaped(render_settings: Settings) -> None:
    email = render_confirmation(
        render_settings, confirm_url=CONFIRM, list_name='<script>alert(1)</script>"'
    )
    assert not scan_html(email.html).find("script")
    assert "&lt;script&gt;" in email.html


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("javascript:alert(1)", "AI 日报"),
        ("/relative", "AI 日报"),
        (CONFIRM, "AI\r\nBcc: victim@example.com"),
    ],
)
def test_bad_input_is_refused(url: str, name: str, render_settings: Settings) -> None:
    with pytest.raises(InputError):
        render_confirmation(render_settings, confirm_url=url, list_name=name)

"""Per-recipient substitution: markers that survive MJML and premailer, escaped values."""

from __future__ import annotations

import html

import pytest

from newsletter.htmlscan import scan_html
from newsletter.models import Issue
from newsletter.render import (
    NAME_MARK,
    UNSUBSCRIBE_URL_MARK,
    RenderedEmail,
    personalize,
    render_issue,
)
from newsletter.render.personalize import GREETING_MARK, archive_copy, display_name
from newsletter.render.pipeline import mjml_to_html
from newsletter.settings import Settings

UNSUB = "https://news.example.com/u/abc?list=daily&t=x.y-z"


def test_markers_survive_mjml_and_premailer_inside_href() -> None:
    source = (
        "<mjml><mj-head><mj-style>/* newsletter */ .x a { color: red; }</mj-style></mj-head>"
        "<mj-body><mj-section><mj-column>"
        f'<mj-text css-class="x"><a href="{UNSUBSCRIBE_URL_MARK}">u</a> {NAME_MARK}</mj-text>'
        f'<mj-button href="{UNSUBSCRIBE_URL_MARK}">b</mj-button>'
        f'<mj-image src="https://example.org/i.png" alt="{NAME_MARK}" href="{UNSUBSCRIBE_URL_MARK}" />'
        "</mj-column></mj-section></mj-body></mjml>"
    )
    page = mjml_to_html(source)
    hrefs = [a.get("href") for a in scan_html(page).find("a")]
    assert hrefs.count(UNSUBSCRIBE_URL_MARK) == 3
    assert page.count(NAME_MARK) == 2
    assert 'style="color:red"' in page  # premailer did run over the link


def test_personalize_fills_both_parts(sample_issue: Issue, render_settings: Settings) -> None:
    rendered = render_issue(sample_issue, render_settings)
    mine = personalize(rendered, unsubscribe_url=UNSUB, name="张三")
    assert mine.subject == rendered.subject
    for part in (mine.html, mine.text):
        assert UNSUBSCRIBE_URL_MARK not in part
        assert NAME_MARK not in part
    assert html.escape(UNSUB) in mine.html
    hrefs = [a.get("href") for a in scan_html(mine.html).find("a")]
    assert UNSUB in hrefs  # the parsed attribute is the exact URL
    assert f"退订: {UNSUB}" in mine.text
    assert "张三，您好！" in mine.html
    assert "张三，您好！" in mine.text
    # The rendered original is untouched, and another recipient gets their own values.
    other = personalize(rendered, unsubscribe_url="https://news.example.com/u/other", name="")
    assert "https://news.example.com/u/other" in other.text
    assert "\n您好！" in other.text


@pytest.mark.parametrize(
    "name",
    [
        "<script>alert(1)</script>\"'&",
        "Eve\r\nBcc: victim@example.com",
        "a\u2028b\x00c",
        "x" * 500,
    ],
)
def test_hostile_names_are_escaped_and_one_line(name: str) -> None:
    rendered = RenderedEmail(
        subject="s",
        html=f'<p title="{GREETING_MARK}">{GREETING_MARK}</p><a href="{UNSUBSCRIBE_URL_MARK}">u</a>',
        text=f"{GREETING_MARK}\n{UNSUBSCRIBE_URL_MARK}",
        language="zh",
    )
    mine = personalize(rendered, unsubscribe_url=' https://e.example.com/u?a=1&b="2"\n', name=name)
    greeting = f"{display_name(name)}，您好！"
    doc = scan_html(mine.html)
    assert not doc.find("script")
    assert doc.find("p")[0].get("title") == greeting
    assert doc.find("a")[0].get("href") == 'https://e.example.com/u?a=1&b="2"'
    first_line, second_line = mine.text.split("\n")
    assert first_line == greeting
    assert second_line == 'https://e.example.com/u?a=1&b="2"'
    assert len(display_name(name)) <= 80


def test_a_rendering_stored_before_the_greeting_marker_gets_the_greeting() -> None:
    legacy = RenderedEmail(
        subject="s",
        html=f"<p>{NAME_MARK}您好！</p><a href='{UNSUBSCRIBE_URL_MARK}'>退订</a>",
        text=f"{NAME_MARK}您好！\n退订: {UNSUBSCRIBE_URL_MARK}",
    )
    named = personalize(legacy, unsubscribe_url="https://e.example.com/u", name="张三")
    assert "<p>张三，您好！</p>" in named.html
    assert named.text.startswith("张三，您好！\n")
    anonymous = personalize(legacy, unsubscribe_url="https://e.example.com/u", name="")
    assert anonymous.text.startswith("您好！\n")
    assert NAME_MARK not in named.html + named.text + anonymous.html


def test_archive_copy_has_a_sign_up_link_and_no_unsubscribe_link(
    sample_issue: Issue, render_settings: Settings
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    public = archive_copy(rendered, archive_url="https://news.example.com/archive")
    assert UNSUBSCRIBE_URL_MARK not in public.html
    assert NAME_MARK not in public.html
    hrefs = [a.get("href") for a in scan_html(public.html).find("a")]
    assert "https://news.example.com/subscribe?edition=default" in hrefs
    assert "退订" not in public.html


def test_archive_copy_of_an_old_rendering_points_unsubscribe_at_the_archive() -> None:
    legacy = RenderedEmail(
        subject="s", html=f"<a href='{UNSUBSCRIBE_URL_MARK}'>退订</a>", text=UNSUBSCRIBE_URL_MARK
    )
    public = archive_copy(legacy, archive_url="https://news.example.com/archive")
    assert public.html == "<a href='https://news.example.com/archive'>退订</a>"

"""Rendering an issue: completeness, the facts premailer and MJML need, safety, branding."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from newsletter.errors import ConfigError, InputError
from newsletter.htmlscan import Element, scan_html
from newsletter.models import Issue
from newsletter.render import (
    NAME_MARK,
    UNSUBSCRIBE_URL_MARK,
    RenderedEmail,
    render_issue,
)
from newsletter.render.personalize import GREETING_MARK, localize
from newsletter.settings import Settings
from tests.support.inert import assert_no_active_content
from tests.support.issues import issue_items, section_items

MAX_SAMPLE_BYTES = 60 * 1024


def _links(issue: Issue) -> list[str]:
    urls = []
    for item in issue_items(issue):
        urls += [link["url"] for link in item["links"]]
        urls += re.findall(r"\]\((https?://[^)\s]+)\)", item["body"])
    return urls


def _hrefs_and_srcs(html: str) -> tuple[list[str], list[str], list[Element]]:
    doc = scan_html(html)
    imgs = doc.find("img")
    return [a.get("href") for a in doc.find("a")], [i.get("src") for i in imgs], imgs


@pytest.mark.parametrize("which", ["sample_issue", "sample_issue_2026"])
def test_every_item_link_and_image_is_in_the_email(
    which: str, request: pytest.FixtureRequest, render_settings: Settings
) -> None:
    issue: Issue = request.getfixturevalue(which)
    rendered = render_issue(issue, render_settings)
    hrefs, srcs, imgs = _hrefs_and_srcs(rendered.html)
    page_text = scan_html(rendered.html).text
    count = 0
    for section in issue.sections:
        assert section["heading"] in page_text
        for item in section_items(section):
            count += 1
            assert item["title"][:20] in page_text
            for image in item["images"]:
                assert image["url"] in srcs
    for url in _links(issue):
        assert url in hrefs, url
        assert url in rendered.text, url
    assert count == len(issue_items(issue))
    assert all((img.get("alt") or "").strip() for img in imgs)
    # Each item is numbered within its section, as in the digest.
    assert page_text.count("1.") >= len(issue.sections)


def test_sample_issue_size_doctype_and_media_rules(
    sample_issue: Issue, render_settings: Settings
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    assert len(rendered.html.encode("utf-8")) < MAX_SAMPLE_BYTES
    assert rendered.html.startswith("<!doctype html>")
    media = re.findall(r"@media[^{]*\{[^@]*?\}\s*\}", rendered.html)
    column_rules = [m for m in media if ".mj-column-per-" in m]
    assert column_rules, "MJML's column rules are missing"
    for rule in column_rules:
        widths = re.findall(r"(?<![-\w])width:\s*\d+%\s*(!important)?", rule)
        assert widths, rule
        assert all(w == "!important" for w in widths), rule
    assert 'data-premailer="ignore"' not in rendered.html
    # Outlook sizes images by the width attribute: premailer must not turn it into "100%".
    image_widths = {i.get("width") for i in scan_html(rendered.html).find("img")}
    assert image_widths == {"552"}


def test_head_language_fonts_dark_mode_and_preheader(
    sample_issue: Issue, render_settings: Settings
) -> None:
    html = render_issue(sample_issue, render_settings).html
    doc = scan_html(html)
    assert doc.find("html")[0].get("lang") == "zh-CN"
    metas = {m.get("name"): m.get("content") for m in doc.find("meta")}
    assert metas["color-scheme"] == "light dark"
    assert "@media (prefers-color-scheme: dark)" in html
    assert "'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC',sans-serif" in (
        html
    )
    assert "line-height:1.75" in html
    assert "overflow-wrap:anywhere" in html  # long URLs wrap instead of widening the layout
    (preheader,) = (d for d in doc.find("div") if "nl-preheader" in (d.get("class") or ""))
    style = preheader.get("style") or ""
    for rule in ("display:none", "max-height:0", "overflow:hidden", "mso-hide:all"):
        assert rule in style
    # No white-on-white tiny text: spam filters score it (HTML_FONT_LOW_CONTRAST).
    assert "color" not in style
    assert "font-size" not in style
    assert sample_issue.preheader in doc.text
    # Nothing remote is needed to show the layout: no stylesheet links, imports or web fonts.
    assert not doc.find("link")
    assert "@import" not in html
    assert "@font-face" not in html


def test_header_footer_and_placeholders(sample_issue: Issue, render_settings: Settings) -> None:
    rendered = render_issue(sample_issue, render_settings)
    archive = "https://news.example.com/archive/default/2025-08-14"
    hrefs, _, _ = _hrefs_and_srcs(rendered.html)
    assert archive in hrefs
    assert archive in rendered.text
    assert "网页版" in rendered.html
    assert "网页版" in rendered.text
    assert UNSUBSCRIBE_URL_MARK in hrefs
    assert f"退订: {UNSUBSCRIBE_URL_MARK}" in localize(rendered, language="zh").text
    assert GREETING_MARK in rendered.html
    assert GREETING_MARK in rendered.text
    assert render_settings.postal_address
    assert render_settings.postal_address in rendered.html
    assert render_settings.postal_address in rendered.text
    assert "今日摘要" in rendered.html
    for line in sample_issue.summary.splitlines():
        assert line in rendered.text


def test_test_send_has_banner_and_subject_prefix(
    sample_issue: Issue, render_settings: Settings
) -> None:
    normal = render_issue(sample_issue, render_settings)
    test = render_issue(sample_issue, render_settings, test=True)
    assert normal.subject == sample_issue.subject
    assert test.subject == f"[TEST] {sample_issue.subject}"
    assert "测试邮件" in test.html
    assert "测试邮件" in test.text
    assert "测试邮件" not in normal.html
    assert "测试邮件" not in normal.text


def test_render_is_pure_and_deterministic(sample_issue: Issue, render_settings: Settings) -> None:
    first = render_issue(sample_issue, render_settings)
    assert render_issue(sample_issue, render_settings) == first
    assert sample_issue.rendered_html is None
    assert sample_issue.status.value == "draft"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Hello\r\nBcc: victim@example.com", "Hello Bcc: victim@example.com"),
        ("a\nb", "a b"),
        ("x\rY", "x Y"),
        ("z\x00", "z"),
    ],
)
def test_subject_line_breaks_become_one_line(
    subject: str, expected: str, make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    assert render_issue(make_issue(subject=subject), render_settings).subject == expected


def test_an_empty_subject_is_refused(
    make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    with pytest.raises(InputError, match="empty"):
        render_issue(make_issue(subject="<b></b>\n"), render_settings)


HOSTILE_ITEM: dict[str, Any] = {
    "title": '<script>alert("t")</script>',
    "body": (
        "<script>alert(1)</script> <img src=x onerror=alert(2)> [go](javascript:alert(3)) "
        '<a href="javascript:alert(4)" onclick="x()">a</a> </mj-text><mj-raw>r</mj-raw>'
    ),
    "links": [
        {"text": '"><script>alert(5)</script>', "url": "javascript:alert(6)"},
        {"text": "ok", "url": 'https://example.org/a"onmouseover="alert(7)'},
    ],
    "images": [
        {"url": "javascript:alert(8)", "alt": "x"},
        {"url": "https://example.org/i.png", "alt": '" onerror="alert(9)'},
    ],
}


def test_hostile_item_comes_out_inert(
    make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    issue = make_issue(summary='<b onmouseover="alert(10)">s</b>', **HOSTILE_ITEM)
    issue.sections[0]["heading"] = "<img src=x onerror=alert(11)>"
    rendered = render_issue(issue, render_settings)
    assert_no_active_content(rendered.html)
    doc = scan_html(rendered.html)
    srcs = [i.get("src") for i in doc.find("img")]
    assert srcs == ["https://example.org/i.png"]
    assert doc.find("img")[0].get("alt") == '" onerror="alert(9)'
    assert "<mj-" not in rendered.html
    assert "mj-raw" in rendered.html
    assert "alert(1)" in doc.text  # escaped, visible, inert


def test_markers_in_content_cannot_pose_as_placeholders(
    make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    issue = make_issue(
        subject=f"Today {NAME_MARK}",
        title=f"t {NAME_MARK}",
        body=f"see [here]({UNSUBSCRIBE_URL_MARK}) {NAME_MARK}",
        links=[{"text": NAME_MARK, "url": "https://example.org/x"}],
    )
    rendered = render_issue(issue, render_settings)
    assert rendered.subject == "Today"
    assert rendered.html.count(UNSUBSCRIBE_URL_MARK) == 1
    assert rendered.html.count(NAME_MARK) == 0
    assert rendered.html.count(GREETING_MARK) == 1
    assert rendered.text.count(UNSUBSCRIBE_URL_MARK) == 1
    assert rendered.text.count(NAME_MARK) == 0
    assert rendered.text.count(GREETING_MARK) == 1


def test_branding_comes_from_settings(sample_issue: Issue) -> None:
    settings = Settings(
        base_url="https://news.example.com",
        newsletter_name="Example Weekly",
        brand_color="#aa3300",
        accent_color="#eef6ff",
        logo_url="https://example.com/logo.png",
        postal_address="1 Example Street, Example Town",
    )
    html = render_issue(sample_issue, settings).html
    logo = [
        i for i in scan_html(html).find("img") if i.get("src") == "https://example.com/logo.png"
    ]
    assert logo
    assert logo[0].get("alt") == "Example Weekly"
    assert "#aa3300" in html
    assert "#eef6ff" in html
    assert "#1a73e8" not in html
    assert "1 Example Street, Example Town" in html


def test_english_language(sample_issue: Issue) -> None:
    settings = Settings(base_url="https://news.example.com", language="en")
    rendered = render_issue(sample_issue, settings)
    assert 'lang="en"' in rendered.html
    assert "View in browser" in rendered.html
    assert "Unsubscribe" in rendered.text
    assert "Thursday, 14 August 2025" in rendered.text


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brand_color", "red;background:url(https://evil.example.org)"),
        ("accent_color", "#12"),
        ("logo_url", "javascript:alert(1)"),
        ("base_url", ""),
        ("base_url", "http://news.example.com"),
    ],
)
def test_bad_settings_are_config_errors(field: str, value: str, sample_issue: Issue) -> None:
    settings = Settings(base_url="https://news.example.com").model_copy(update={field: value})
    with pytest.raises(ConfigError):
        render_issue(sample_issue, settings)


def test_rendered_email_is_a_frozen_value() -> None:
    email = RenderedEmail(subject="s", html="h", text="t")
    with pytest.raises(AttributeError):
        email.subject = "x"  # type: ignore[misc]

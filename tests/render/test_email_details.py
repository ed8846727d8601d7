"""The details a reader notices: link labels and hosts, subjects, greetings per language,
the archive's copy without personal links, and the lint of postal address and brand."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from newsletter.errors import ConfigError
from newsletter.htmlscan import scan_html
from newsletter.identity import DEMO_POSTAL_ADDRESS, require_postal_address
from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.render.links import host_of, link_view
from newsletter.render.lint import lint_identity
from newsletter.render.personalize import (
    GREETING_MARK,
    UNSUBSCRIBE_URL_MARK,
    archive_copy,
    localize,
    personalize,
)
from newsletter.render.strings import language_key
from newsletter.settings import Settings
from newsletter.subject import SUBJECT_LIMIT, clean_subject

URL = "https://www.artificialintelligence-news.com/news/huawei-nvidia-cann/"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Can Huawei’s op...", "Can Huawei’s op…"),
        ("GenAI isn't jus...", "GenAI isn't jus…"),
        ("告别Transformer，重...", "告别Transformer，重…"),
        ("cut twice…...", "cut twice…"),
        ("spaced . . .", "spaced . . ."),  # not a cut-off mark
        ("whole title", "whole title"),
        ("  many   spaces ", "many spaces"),
        ("", "artificialintelligence-news.com/news/huawei-nvidia-cann/"),
        (URL, "artificialintelligence-news.com/news/huawei-nvidia-cann/"),
    ],
)
def test_link_labels(text: str, label: str) -> None:
    view = link_view(text, URL)
    assert view == {"label": label, "host": "artificialintelligence-news.com", "url": URL}


def test_hosts_are_readable() -> None:
    assert host_of("https://WWW.Example.COM/x") == "example.com"
    assert host_of("https://mp.weixin.qq.com/s/x") == "mp.weixin.qq.com"
    assert host_of("https://xn--fiqs8s.example/") == "中国.example"
    assert host_of("https://user@news.example.org:8443/") == "news.example.org"
    long = "https://example.org/" + "p" * 200
    assert link_view(long, long)["label"].endswith("…")
    assert len(link_view(long, long)["label"]) == 60


@pytest.mark.parametrize(
    ("raw", "subject"),
    [
        ("AI科技日报-2025-08-14 AI模型大逆转！", "AI科技日报-2025-08-14 AI模型大逆转！"),
        ("**Bold** and `code` in <b>tags</b> &amp; entities", "Bold and code in tags & entities"),
        ("# [AI 日报](https://example.org/a) today", "AI 日报 today"),
        ("line one\nline two\r\n\tthree", "line one line two three"),
        # A script written as entities is a script too: nothing of it is visible.
        ("&lt;script&gt;x&lt;/script&gt;", ""),
        ("zero\u200bwidth", "zero width"),
    ],
)
def test_subjects_are_plain_one_line(raw: str, subject: str) -> None:
    assert clean_subject(raw) == subject


def test_long_subjects_are_cut_with_one_ellipsis() -> None:
    words = clean_subject("word " * 60)
    assert len(words) <= SUBJECT_LIMIT
    assert words.endswith("word…")
    cjk = clean_subject("很长的标题" * 40)
    assert len(cjk) == SUBJECT_LIMIT
    assert cjk.endswith("…")
    assert not cjk.endswith("……")
    assert clean_subject("x" * SUBJECT_LIMIT) == "x" * SUBJECT_LIMIT


@pytest.mark.parametrize(
    ("tag", "fallback", "key"),
    [("en-GB", "zh-CN", "en"), ("zh_TW", "en", "zh"), ("fr", "en", "en"), ("", "", "zh")],
)
def test_language_fallback(tag: str, fallback: str, key: str) -> None:
    assert language_key(tag, fallback=fallback) == key


def test_greetings_per_language_with_and_without_a_name(
    sample_issue: Issue, render_settings: Settings
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    zh = localize(rendered, language="zh-CN")
    en = localize(rendered, language="en")
    url = "https://news.example.com/unsubscribe/t"
    cases = [
        (zh, "Alice Wang", "Alice Wang，您好！"),
        (zh, "", "您好！"),
        (en, "Alice Wang", "Hi Alice,"),
        (en, "  ", "Hello,"),
        (zh, "<b>Eve</b>", "&lt;b&gt;Eve&lt;/b&gt;，您好！"),
    ]
    for copy, name, greeting in cases:
        mine = personalize(copy, unsubscribe_url=url, name=name)
        assert greeting in mine.html
        assert GREETING_MARK not in mine.html + mine.text
    assert "\n您好！\n" in personalize(zh, unsubscribe_url=url, name="").text
    # A stored rendering given to personalize directly gets the list's language.
    assert "Alice，您好！" in personalize(rendered, unsubscribe_url=url, name="Alice").text


def test_archive_copy_has_no_personal_links_and_a_sign_up_link(
    sample_issue: Issue, render_settings: Settings
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    for language in ("zh-CN", "en"):
        public = archive_copy(rendered, language=language)
        doc = scan_html(public.html)
        hrefs = {a.get("href") for a in doc.find("a")}
        assert "https://news.example.com/subscribe?edition=default" in hrefs
        assert not [h for h in hrefs if h and "/unsubscribe" in h]
        assert UNSUBSCRIBE_URL_MARK not in public.html + public.text
        assert "__NEWSLETTER_" not in public.html + public.text
        for word in ("退订", "Unsubscribe", "您好", "Hi ", "您收到这封邮件"):
            assert word not in doc.text
            assert word not in public.text
        assert "https://news.example.com/subscribe?edition=default" in public.text


def test_postal_address_is_required_for_a_send_and_linted() -> None:
    base = Settings(sender="AI 日报 <news@example.com>")
    with pytest.raises(ConfigError, match="NEWSLETTER_POSTAL_ADDRESS is not set"):
        require_postal_address(base)
    assert [w.code for w in lint_identity(base)] == ["postal-address"]
    for example in ("Example Media Ltd, 1 Example Road, Example City", DEMO_POSTAL_ADDRESS):
        demo = base.model_copy(update={"postal_address": example})
        assert require_postal_address(demo) == example  # sendable, but lint says so
        (warning,) = lint_identity(demo)
        assert "example or demo" in warning.message
    real = base.model_copy(update={"postal_address": "AI Daily Ltd, 8 Harbour St, Leith"})
    assert lint_identity(real) == []


def test_lint_sees_a_rendering_older_than_the_postal_address(
    sample_issue: Issue, render_settings: Settings
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    moved = render_settings.model_copy(update={"postal_address": "AI Daily Ltd, 2 Quay Road"})
    codes = [w.code for w in lint_identity(moved, rendered)]
    assert codes == ["postal-address"]


@pytest.mark.parametrize(
    ("sender", "name", "warned"),
    [
        ("AI 日报 <news@example.com>", "AI 日报", False),
        ("ai 日报 <news@example.com>", "AI 日报", False),
        ("AI日报 <news@example.com>", "AI 日报", True),
        ("news@example.com", "AI 日报", True),
        ("Daily AI <news@example.com>", "AI 日报", True),
    ],
)
def test_lint_warns_when_the_from_name_is_not_the_brand(
    sender: str, name: str, warned: bool
) -> None:
    settings = Settings(sender=sender, newsletter_name=name, postal_address="8 Harbour St")
    codes = [w.code for w in lint_identity(settings)]
    assert codes == (["brand"] if warned else [])


def test_a_test_copy_without_postal_address_says_it_is_a_stand_in(
    sample_issue: Issue, render_settings: Settings
) -> None:
    bare = render_settings.model_copy(update={"postal_address": ""})
    assert DEMO_POSTAL_ADDRESS in render_issue(sample_issue, bare, test=True).text
    real = render_issue(sample_issue, bare)
    assert DEMO_POSTAL_ADDRESS not in real.text
    assert "Example" not in real.text  # no placeholder default any more


def test_content_cannot_forge_language_or_audience_markers(
    make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    forged = "__NEWSLETTER_FOR_PUBLIC__ x __NEWSLETTER_LANG_EN__ y __NEWSLETTER_LANG_END__"
    issue = make_issue(
        subject=f"S {forged}",
        summary=forged,
        title=forged,
        body=f"{forged} __NEWSLETTER_FOR_END__ __NEWSLETTER_GREETING__",
        links=[{"text": forged, "url": "https://example.org/a"}],
    )
    rendered = render_issue(issue, render_settings)
    for part in (rendered.html, rendered.text):
        assert "__NEWSLETTER_FOR_PUBLIC__ x" not in part
        assert part.count("__NEWSLETTER_GREETING__") == 1  # the template's own
    copy = localize(rendered, language="zh")
    assert "x  y" in copy.text or " x " in copy.text  # the words stay, the markers go

"""The sample issue as its readers get it: sent through the file transport, parsed back.

Every message of a real send is checked: the headers exactly (To, From, List-Id, the
unsubscribe pair in order, Feedback-ID), the greeting and the email's own words in the
edition's language in both parts, whatever each reader's own language (a reader who wants
English reads the English edition: no email mixes languages around its content), and every
link's host in both parts.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import Engine

from newsletter.digest import load_digests
from newsletter.htmlscan import scan_html
from newsletter.settings import Settings
from tests.support.identity import TEST_POSTAL_ADDRESS
from tests.support.sent_sample import SAMPLE, Reader, Sent, send_sample

READERS = [
    Reader("alice@example.com", "Alice Wang", "zh-CN"),
    Reader("bob@example.com", "Bob Smith", "en"),
    Reader("carol@example.com", "", "en-GB"),
    Reader("dan@example.com", "", ""),  # no language: the list's (zh-CN)
    Reader("eve@example.com", "Eve Martin", "fr"),  # no French table: the list's
]
#: Greeting line, and words of the email's own text, per reader: the edition's (zh-CN).
EXPECTED = {
    "alice@example.com": ("Alice Wang，您好！", "以下是8月14日的AI 日报，共 13 条资讯。", "退订"),
    "bob@example.com": ("Bob Smith，您好！", "以下是8月14日的AI 日报，共 13 条资讯。", "退订"),
    "carol@example.com": ("您好！", "以下是8月14日的AI 日报，共 13 条资讯。", "退订"),
    "dan@example.com": ("您好！", "以下是8月14日的AI 日报，共 13 条资讯。", "退订"),
    "eve@example.com": ("Eve Martin，您好！", "以下是8月14日的AI 日报，共 13 条资讯。", "退订"),
}
#: Links of the sample and the host each must show; cut-off labels end in one "…".
LINKS = {
    "https://www.artificialintelligence-news.com/news/huawei-nvidia-cann-cuda-open-source-challenge/": (
        "Can Huawei’s op…",
        "artificialintelligence-news.com",
    ),
    "https://www.jiqizhixin.com/articles/2025-08-13-9": ("告别Transformer，重…", "jiqizhixin.com"),
}


@pytest.fixture
def sent(engine: Engine, settings: Settings) -> dict[str, Sent]:
    messages = send_sample(engine, settings, READERS)
    return {m.to: m for m in messages}


def _header_block(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def test_headers_exactly(sent: dict[str, Sent], settings: Settings) -> None:
    assert set(sent) == {r.email for r in READERS}
    for address, message in sent.items():
        head = _header_block(message.raw)
        msg = message.message
        reader = next(r for r in READERS if r.email == address)
        # To: the bare address without a name, never `"" <addr>`.
        if reader.name:
            assert msg["To"].addresses[0].display_name == reader.name
        else:
            assert f"\r\nTo: {address}\r\n" in head
        assert '""' not in head
        # One brand: the From name is the masthead's and List-Id's.
        assert str(msg["From"]) == "AI 日报 <news@example.com>"
        assert msg["List-Id"] == "AI 日报 <daily.example.com>"
        assert msg["Subject"] == "AI科技日报-2025-08-14 AI模型大逆转！"
        assert msg["Feedback-ID"] == "issue:daily:2025-08-14:example-com"
        unsubscribe = msg["List-Unsubscribe"]
        assert re.fullmatch(
            r"<https://news\.example\.com/unsubscribe/[A-Za-z0-9._-]+>", unsubscribe
        )
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        names = message.header_names()
        # Gmail drops the unsubscribe button when the Post header comes first.
        assert names.index("List-Unsubscribe") < names.index("List-Unsubscribe-Post")
        for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "Feedback-ID"):
            assert names.count(name) == 1, name
        assert msg.defects == []
        for line in head.split("\r\n"):
            assert len(line) <= 998


def test_greeting_and_own_words_in_the_editions_language(sent: dict[str, Sent]) -> None:
    for address, (greeting, intro, unsubscribe) in EXPECTED.items():
        text = sent[address].part("plain")
        page = sent[address].part("html")
        doc_text = scan_html(page).text
        for part in (text, doc_text):
            assert greeting in part, (address, greeting)
            assert intro in part
            assert unsubscribe in part
        # One language only: no marker, no other language's words.
        for part in (text, page):
            assert "__NEWSLETTER_" not in part
        other = "Unsubscribe" if unsubscribe == "退订" else "退订"
        assert other not in text
        assert other not in doc_text
    # Without a name there is no stray comma: "您好！", not "，您好！".
    assert "，您好！" not in sent["dan@example.com"].part("plain")
    assert "\n您好！\n" in sent["dan@example.com"].part("plain")


def test_every_link_shows_its_host_in_both_parts(sent: dict[str, Sent]) -> None:
    message = sent["alice@example.com"]
    text = message.part("plain")
    doc = scan_html(message.part("html"))
    for url, (label, host) in LINKS.items():
        assert f"- {label} ({host}): {url}" in text
        assert host in doc.text
        assert label in doc.text
    # The source's "..." never reaches the reader; cut labels end in exactly one "…".
    assert "..." not in text
    assert "……" not in text
    assert "GenAI isn't jus…" in text
    # Each listed link is a table row: bullet cell, then the label and the host.
    rows = [
        td
        for td in doc.find("td")
        if (td.get("valign") or "") == "top" and "nl-bullet" not in (td.get("class") or "")
    ]
    assert len(rows) >= len(LINKS)
    assert not [ul for ul in doc.find("ul") if "nl-links" in (ul.get("class") or "")]


def test_images_lead_to_their_items_first_link(sent: dict[str, Sent]) -> None:
    page = sent["alice@example.com"].part("html")
    linked = [html.unescape(u) for u in re.findall(r'<a href="([^"]+)"[^>]*>\s*<img\b', page)]
    (digest,) = load_digests(SAMPLE)
    expected = [
        item.links[0].url
        for s in digest.sections
        for item in s.items
        if item.links
        for _ in item.images
    ]
    assert len(expected) >= 5
    assert linked == expected  # an image without a link of its item is not linked
    assert len(re.findall(r"<img\b", page)) == sum(
        len(item.images) for s in digest.sections for item in s.items
    )


def test_footer_has_the_postal_address_and_the_recipients_own_link(sent: dict[str, Sent]) -> None:
    message = sent["bob@example.com"]
    assert TEST_POSTAL_ADDRESS in message.part("plain")
    assert TEST_POSTAL_ADDRESS in scan_html(message.part("html")).text
    own = message.message["List-Unsubscribe"].strip("<>")
    assert f"退订: {own}" in message.part("plain")
    hrefs = [a.get("href") for a in scan_html(message.part("html")).find("a")]
    assert own in hrefs
    assert "https://news.example.com/subscribe" not in hrefs  # the sign-up link is the archive's


def test_a_real_send_refuses_without_a_postal_address(engine: Engine, settings: Settings) -> None:
    from newsletter.errors import ConfigError

    bare = settings.model_copy(update={"postal_address": ""})
    with pytest.raises(ConfigError, match="NEWSLETTER_POSTAL_ADDRESS is not set"):
        send_sample(engine, bare, READERS[:1])

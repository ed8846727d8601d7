"""An image inside a link keeps both (the image, linked to the target); a link the source cut
with "…" is kept as text with one warning, never silently dropped."""

from __future__ import annotations

import re

import pytest

from newsletter.compose import issue_from_digest
from newsletter.digest import Digest, DigestItem, TextBlock, parse_source
from newsletter.render import render_issue
from newsletter.settings import Settings

HEAD = "# AI资讯日报 2025-10-15\n\n## 产品与功能更新\n\n"
IMG = "https://example.com/images/news_01.png"
TARGET = "https://example.org/articles/iflow-cli"


def _parse(text: str) -> tuple[Digest, list[str]]:
    result = parse_source(text.encode(), source="d.md", suffix=".md")
    return result.digests[0], result.warnings


def _rendered(digest: Digest) -> tuple[str, str]:
    settings = Settings(base_url="https://news.example.com", sender="AI 日报 <news@example.com>")
    out = render_issue(issue_from_digest(digest), settings)
    return out.html, out.text


def _first_item(digest: Digest) -> DigestItem:
    return digest.sections[0].items[0]


def _image_linked(html: str, src: str, href: str) -> bool:
    """The image ``src`` stands inside an <a href="href">."""
    pattern = rf'<a [^>]*href="{re.escape(href)}"[^>]*>\s*(?:<[^a][^>]*>\s*)*<img [^>]*src="{re.escape(src)}"'
    return re.search(pattern, html) is not None


@pytest.mark.parametrize(
    "entry",
    [
        f"1. **iFlow CLI** 终端 AI 智能体，永久免费。[![图片]({IMG})]({TARGET})\n",
        f"1. **iFlow CLI** 终端 AI 智能体，永久免费。<br/>[![图片]({IMG})]({TARGET})\n",
        f"1. **iFlow CLI** 终端 AI 智能体，永久免费。\n\n   [![图片]({IMG})]({TARGET})\n",
        f"1. **iFlow CLI** 终端 AI 智能体，永久免费。\n\n[![图片]({IMG})]({TARGET})\n",
    ],
    ids=["inline", "after-br", "own-paragraph", "after-the-list"],
)
def test_an_image_inside_a_link_in_an_item_keeps_both(entry: str) -> None:
    digest, warnings = _parse(HEAD + entry)
    assert warnings == []
    item = _first_item(digest)
    assert [i.url for i in item.images] == [IMG]
    assert [(link.text, link.url) for link in item.links] == [("图片", TARGET)]
    html, text = _rendered(digest)
    assert _image_linked(html, IMG, TARGET)
    assert TARGET in text


def test_a_linked_image_with_words_too_keeps_the_words_as_a_link() -> None:
    digest, _ = _parse(HEAD + f"1. **iFlow CLI** 发布。[![图片]({IMG}) 阅读全文]({TARGET})\n")
    item = _first_item(digest)
    assert f"[阅读全文]({TARGET})" in item.body
    assert [(link.text, link.url) for link in item.links] == [("阅读全文", TARGET)]
    html, _ = _rendered(digest)
    assert _image_linked(html, IMG, TARGET)


def test_a_linked_image_in_prose_keeps_its_target_as_a_text_link() -> None:
    digest, warnings = _parse(HEAD + f"[![爱窝啦 Aivora]({IMG})]({TARGET})\n\n1. **Item** text.\n")
    assert warnings == []
    block = digest.sections[0].blocks[0]
    assert isinstance(block, TextBlock)
    assert [i.url for i in block.images] == [IMG]
    assert block.markdown == f"[爱窝啦 Aivora]({TARGET})"
    _, text = _rendered(digest)
    assert TARGET in text


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        ("1. **Ring-1T** 开源。[原文](https://example.org/zh/news/219…)\n", "原文"),
        (
            "1. **Ring-1T** 开源。[https://example.org/zh/news/219…](https://example.org/zh/news/219…)\n",
            "https://example.org/zh/news/219…",
        ),
        ("### 1. [Ring-1T 开源](https://example.org/zh/news/219…)\n\n正文。\n", "Ring-1T 开源"),
        ("1. **Ring-1T** 开源。\n   - [原文](https://example.org/zh/news/219…)\n", "原文"),
    ],
    ids=["label", "url-as-label", "numbered-heading", "link-list"],
)
def test_a_link_cut_by_the_source_is_kept_as_text_with_one_warning(entry: str, kept: str) -> None:
    digest, warnings = _parse(HEAD + entry)
    line = 5 + entry.count("\n   -")  # a link list's entry is on the next line
    assert warnings == [
        f"d.md:{line}: link 'https://example.org/zh/news/219…' cut short by the source (…): "
        "kept as text"
    ]
    item = _first_item(digest)
    assert item.links == []
    assert "](" not in item.body
    _, text = _rendered(digest)
    assert kept in text

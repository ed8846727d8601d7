"""Bad input: one clear line naming the file and the line (or entry, or field)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.digest import load_digests
from newsletter.errors import InputError

GOOD_HEAD = "# AI日报 2025-08-14\n### **今日摘要**\n```\n一句话。\n```\n"


def _err(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_digests(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.md", "# Shopping list\n\n- milk\n- eggs\n", "not a digest: no `###` section"),
        ("plain.md", "just some words\n", "not a digest: no title line"),
        ("empty.md", "\n\n", "empty file"),
        (
            "empty-section.md",
            GOOD_HEAD + "### First\n1. item\n### Empty\n### Third\n1. item\n",
            ":8: section 'Empty' has no items",
        ),
        (
            "broken-link.md",
            GOOD_HEAD + "### S\n1. item text\n    *   [text](https://example.org/a\n",
            ":8: broken link line",
        ),
        (
            "bad-url.md",
            GOOD_HEAD + "### S\n1. item text\n    *   [text](javascript:alert(1))\n",
            ":8: link with a broken URL",
        ),
        (
            "bad-image.md",
            GOOD_HEAD + "### S\n1. item text\n    ![x](ftp://example.org/a.png)\n",
            ":8: image with a broken URL",
        ),
        (
            "orphan.md",
            "# AI日报 2025-08-14\n1. item before a section\n",
            ":2: numbered item before",
        ),
        ("nodate.md", "# AI日报\n### S\n1. item\n", ":1: no date in the title line"),
        (
            "fence.md",
            "# AI日报 2025-08-14\n### 今日摘要\n```\nnever closed\n",
            ":3: summary code fence",
        ),
        ("data.csv", "email,name\na@example.com,A\n", "unknown format"),
        ("bad.json", '{"date": "2025-08-14",\n "title": }', ":2: invalid JSON"),
        (
            "field.json",
            '{"date": "2025-08-14", "title": "T", "sections": [{"name": "S", "items": []}]}',
            "sections[0].items: List should have at least 1 item",
        ),
        (
            "url.json",
            '{"date":"2025-08-14","title":"T","sections":[{"name":"S","items":[{"title":"t",'
            '"body":"b","links":[{"text":"x","url":"javascript:alert(1)"}]}]}]}',
            "sections[0].items[0].links[0].url",
        ),
        ("nofeed.xml", "<html><body>hello</body></html>", "not a digest feed"),
    ],
)
def test_bad_input_names_the_place(tmp_path: Path, name: str, content: str, expected: str) -> None:
    assert expected in _err(tmp_path, name, content)


def test_unreadable_encoding_names_the_line(tmp_path: Path) -> None:
    data = (GOOD_HEAD + "### S\n1. 条目\n").encode("gb18030")
    message = _err(tmp_path, "gbk.md", data)
    assert ":1: not UTF-8 text" in message


def test_binary_file(tmp_path: Path) -> None:
    assert "NUL bytes" in _err(tmp_path, "x.md", b"# a\x00b")


def test_feed_section_without_items(tmp_path: Path) -> None:
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        "<title>日报 2026-01-02</title><description><![CDATA[<h3>A</h3><h3>B</h3><ol><li>x</li></ol>]]>"
        "</description></item></channel></rss>"
    )
    assert "entry 1 (日报 2026-01-02): section 'A' has no items" in _err(tmp_path, "f.xml", feed)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_digests(tmp_path / "missing.md")

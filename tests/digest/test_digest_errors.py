"""A file that is no digest is refused whole, in one line naming the file (and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.digest import load_digests
from newsletter.errors import InputError


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
        ("notes.md", "# Shopping list\n\n- milk\n- eggs\n", "not a digest: no date anywhere"),
        ("plain.md", "just some words\n", "not a digest: no title"),
        ("empty.md", "\n\n", "empty file"),
        ("title-only.md", "# AI日报 2025-08-14\n\n", "not a digest: no sections"),
        ("nodate.md", "# AI日报\n### S\n1. item\n", ":1: no date in the title"),
        ("data.csv", "email,name\na@example.com,A\n", "unknown format"),
        ("bad.json", '{"date": "2025-08-14",\n "title": }', ":2: invalid JSON"),
        (
            "field.json",
            '{"date": "2025-08-14", "title": "T", "sections": []}',
            "sections: List should have at least 1 item",
        ),
        (
            "url.json",
            '{"date":"2025-08-14","title":"T","sections":[{"heading":"S","blocks":[{"title":"t",'
            '"body":"b","links":[{"text":"x","url":"javascript:alert(1)"}]}]}]}',
            "sections[0].blocks[0].links[0].url",
        ),
        ("deep.json", "[" * 2000 + "]" * 2000, "nested too deeply"),
        ("nofeed.xml", "<html><body>hello</body></html>", "not a digest feed"),
    ],
)
def test_bad_input_names_the_place(tmp_path: Path, name: str, content: str, expected: str) -> None:
    assert expected in _err(tmp_path, name, content)


def test_unreadable_encoding_names_the_line(tmp_path: Path) -> None:
    data = "# AI日报 2025-08-14\n### S\n1. 条目\n".encode("gb18030")
    assert ":1: not UTF-8 text" in _err(tmp_path, "gbk.md", data)


def test_binary_files(tmp_path: Path) -> None:
    assert "NUL bytes" in _err(tmp_path, "x.md", b"# a\x00b")
    assert "binary data" in _err(tmp_path, "y.md", bytes(range(1, 32)) * 4)


def test_too_large_names_the_limit(tmp_path: Path) -> None:
    from newsletter.digest import MAX_BYTES

    big = "# AI日报 2025-08-14\n### S\n" + "1. 条目。\n" * (MAX_BYTES // 10)
    message = _err(tmp_path, "big.md", big)
    assert "file too large" in message
    assert f"the limit is {MAX_BYTES // 1024 // 1024} MB" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_digests(tmp_path / "missing.md")

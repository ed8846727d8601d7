"""Fuzzing the importers: no input, however broken, produces anything but InputError, and
every warning is one line."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.digest import parse_source
from newsletter.errors import InputError

FRAGMENTS = [
    "# AI日报 2025-08-14\n",
    "## 日报 2026/1/20\n",
    "### **今日摘要**\n",
    "```\n",
    "摘要一句。\n",
    "### 其他\n",
    "1.  **粗体**内容。\n",
    "12. text [a](https://example.org/a) more\n",
    "    *   [链接](https://example.org/x)\n",
    "    *   [broken](https://example.org\n",
    "    *   plain bullet\n",
    "    ![](https://example.org/i.avif)\n",
    "<br/>![alt](https://example.org/i.png)<br/>\n",
    "![x](javascript:1)\n",
    "> tagline [🌍 网页版↗️]\n",
    "\n",
    "<script>alert(1)</script>\n",
    "### \n",
    "1. \n",
    "    continuation text\n",
    "---\ntitle: T 2025-01-03\n---\n",
    "### 1. [numbered](https://example.org/n)\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "[nav](#anchor)\n",
    "[js](javascript:alert(1))\n",
    "<div>raw <script>x()</script></div>\n",
    "\x1b]52;c;aGk=\x07 escape\n",
    "---\n",
    "~~~\n",
    "```python\n",
    "<!-- unclosed\n",
    "<details>\n",
    "<pre>\n",
    "## AI Daily Insights: June 14, 2025\n",
    "---\ntitle: 06-14-Daily\n---\n",
    "[![i](https://example.org/i.png)](https://example.org/t)\n",
    "[cut](https://example.org/a…)\n",
]
FEED_FRAGMENTS = [
    "<h3>今日摘要</h3>",
    "<pre>一句。</pre>",
    "<h3>S</h3>",
    "<ol>",
    "</ol>",
    "<ul>",
    "<li>",
    "</li>",
    "<strong>b</strong>",
    '<a href="https://example.org/a">a</a>',
    '<a href="javascript:x">bad</a>',
    '<img src="https://example.org/i.png" alt="i"/>',
    '<img src="nope"/>',
    "text",
    "<br/>",
    "<hr>",
    '<h3><a href="https://example.org/full">前往官网查看完整版</a></h3>',
    '<img src="x" onerror="alert(1)">',
    "<script>alert(1)</script>",
    "<table><tr><td>c</td></tr></table>",
]


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _check(data: bytes, suffix: str) -> None:
    try:
        result = parse_source(data, source="fuzz", suffix=suffix)
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message
        return
    for warning in result.warnings:
        assert warning.startswith("fuzz")
        assert "\n" not in warning
        assert "\r" not in warning
    for digest in result.digests:
        assert digest.sections
        for n, section in enumerate(digest.sections):
            # A section has blocks, or sub-sections right after it.
            following = digest.sections[n + 1 : n + 2]
            assert section.blocks or (following and following[0].depth > section.depth)
        assert not any(CONTROL.search(text) for text in _strings(digest.model_dump()))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["", ".md", ".json", ".xml", ".txt"]))
def test_random_bytes(data: bytes, suffix: str) -> None:
    _check(data, suffix)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_markdown_shaped_input(parts: list[str]) -> None:
    _check("".join(parts).encode(), ".md")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(FEED_FRAGMENTS), max_size=25), st.text(max_size=20))
def test_feed_shaped_input(parts: list[str], title: str) -> None:
    content = "".join(parts).replace("]]>", "")
    safe_title = title.replace("<", "").replace("&", "")
    feed = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<item><title>{safe_title} 2025-01-02</title><description><![CDATA[{content}]]>"
        "</description></item></channel></rss>"
    )
    _check(feed.encode(), ".xml")


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "date",
                        "title",
                        "summary",
                        "sections",
                        "name",
                        "items",
                        "body",
                        "links",
                        "url",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_json_shaped_input(doc: object) -> None:
    import json

    _check(json.dumps(doc).encode(), ".json")

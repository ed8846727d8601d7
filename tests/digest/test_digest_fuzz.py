"""Fuzzing the importers: no input, however broken, produces anything but InputError."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.digest import parse_digests
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
]


def _check(data: bytes, suffix: str) -> None:
    try:
        digests = parse_digests(data, source="fuzz", suffix=suffix)
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
        assert all(d.sections and all(s.items for s in d.sections) for d in digests)
    assert "\n" not in message


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

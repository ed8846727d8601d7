"""Item Markdown: sanitized HTML, plain text, CJK emphasis, URL checks."""

from __future__ import annotations

import pytest

from newsletter.htmlscan import scan_html
from newsletter.render.markdown import to_html, to_text
from newsletter.render.personalize import NAME_MARK, UNSUBSCRIBE_URL_MARK
from newsletter.urls import safe_url, safe_web_url

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[rel](/relative/path)",
    "[proto](//evil.example.org/x)",
    '<https://ok.example.org/a"onmouseover="alert(1)>',
    '<iframe src="https://evil.example.org"></iframe>',
    "<style>body{display:none}</style>",
    "<b onclick='alert(1)'>bold</b>",
    "<!-- comment --><svg onload=alert(1)>",
    "</mj-text><mj-raw><script>alert(1)</script></mj-raw>",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_markdown_comes_out_inert(body: str) -> None:
    html = to_html(body)
    for el in scan_html(html).elements:
        assert el.tag in {"p", "a", "strong", "em", "br", "code", "ul", "li"}, html
        for name, value in el.attrs.items():
            assert not name.startswith("on"), html
            if name == "href":
                assert value.startswith(("http://", "https://", "mailto:")), html
                assert "javascript" not in value.lower()
    assert "<script" not in html
    assert "<iframe" not in html
    assert "<mj-" not in html


def test_markdown_keeps_bold_links_and_lists() -> None:
    html = to_html("**上海交通大学**发布 [模型](https://example.org/m?a=1&b=2)\n- one\n- two")
    assert "<strong>上海交通大学</strong>" in html
    assert '<a href="https://example.org/m?a=1&amp;b=2">模型</a>' in html
    assert "<li>one</li>" in html


def test_refused_link_keeps_its_text_without_an_anchor() -> None:
    assert to_html("[rel](/relative)") == "<p>rel</p>"
    assert to_html("see [x](mailto:editor@example.com)") == (
        '<p>see <a href="mailto:editor@example.com">x</a></p>'
    )


@pytest.mark.parametrize(
    ("body", "bold"),
    [
        ("通过巧妙的**低秩适应（LoRA）**微调，他", "低秩适应（LoRA）"),
        ("前面**“引号”**后面", "“引号”"),
        ("价格下调约 **30%**，缓存", "30%"),
        ("**华为CANN工具包**开源", "华为CANN工具包"),
        ("plain **English** words", "English"),
    ],
)
def test_bold_next_to_chinese_punctuation(body: str, bold: str) -> None:
    assert f"<strong>{bold}</strong>" in to_html(body)
    assert "**" not in to_text(body)


def test_standard_emphasis_rules_still_hold() -> None:
    assert to_html("a ** b ** c") == "<p>a ** b ** c</p>"
    assert to_html("snake_case_name") == "<p>snake_case_name</p>"
    assert to_html("2*3*4") == "<p>2<em>3</em>4</p>"


def test_text_writes_links_out_and_drops_marks() -> None:
    text = to_text("**粗体** [模型主页](https://example.org/m) 与 <https://example.org/raw>")
    assert text == "粗体 模型主页 (https://example.org/m) 与 https://example.org/raw"
    assert to_text("[x](javascript:alert(1))") == "[x](javascript:alert(1))"
    assert to_text("- a\n- b [l](https://example.org/l)") == "- a\n- b l (https://example.org/l)"


def test_markers_in_untrusted_text_are_removed() -> None:
    body = f"hi {UNSUBSCRIBE_URL_MARK} [x]({UNSUBSCRIBE_URL_MARK}) {NAME_MARK}"
    assert UNSUBSCRIBE_URL_MARK not in to_html(body)
    assert NAME_MARK not in to_text(body)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://example.org/a", True),
        ("http://example.org/a", True),
        ("mailto:editor@example.com", True),
        ("javascript:alert(1)", False),
        ("https:///nohost", False),
        ("//example.org", False),
        ("/relative", False),
        ("https://example.org/a b", False),
        ("https://example.org/\nx", False),
        ("data:image/png;base64,AAAA", False),
    ],
)
def test_safe_url(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok
    assert safe_web_url("mailto:editor@example.com") is None

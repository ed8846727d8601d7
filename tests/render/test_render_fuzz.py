"""Any item content renders: valid MJML, inert HTML, every link kept (property tests)."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsletter.htmlscan import scan_html
from newsletter.models import Issue, IssueStatus
from newsletter.render import render_issue
from newsletter.render.markdown import to_html
from newsletter.settings import Settings

SETTINGS = Settings(base_url="https://news.example.com")
PIECES = st.sampled_from(
    [
        "**", "*", "_", "`", "[", "]", "(", ")", "<", ">", "&", '"', "'", "\n", "\n\n", "- ",
        "1. ", "# ", "> ", "```", "<script>", "</mj-text>", "<mj-raw>", "<!--", "-->",
        "]]>", "<![CDATA[", "&amp;", "&#0;", "javascript:", "onerror=", "https://example.org/a",
        "[x](https://example.org/x)", "[j](javascript:alert(1))", "<br/>", "，", "。", "上海",
        "\u2028", "\x00", "\ufeff", "🤖", "{{ x }}", "{% if %}", "%", "\\",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=30).map("".join)


def _issue(title: str, body: str, link_text: str, alt: str, section: str) -> Issue:
    return Issue(
        date=dt.date(2025, 8, 14),
        subject="Fuzz",
        summary=body,
        preheader=title,
        sections=[
            {
                "name": section or "s",
                "items": [
                    {
                        "title": title or "t",
                        "body": body or "b",
                        "links": [{"text": link_text, "url": "https://example.org/link"}],
                        "images": [{"url": "https://example.org/i.png", "alt": alt}],
                        "source": "",
                    }
                ],
            }
        ],
        status=IssueStatus.DRAFT,
    )


def _inert(html: str) -> None:
    doc = scan_html(html)
    assert not doc.find("script")
    for el in doc.elements:
        for name, value in el.attrs.items():
            assert not name.startswith("on"), (el.tag, name)
            if name in ("href", "src"):
                assert value.startswith(("https://", "http://", "mailto:", "__NEWSLETTER_")), value


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_body_sanitizes_to_inert_html(body: str) -> None:
    _inert(to_html(body))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, TEXT, TEXT, TEXT, TEXT)
def test_any_item_renders_valid_inert_email(
    title: str, body: str, link_text: str, alt: str, section: str
) -> None:
    rendered = render_issue(_issue(title, body, link_text, alt, section), SETTINGS)
    _inert(rendered.html)
    hrefs = [a.get("href") for a in scan_html(rendered.html).find("a")]
    assert "https://example.org/link" in hrefs
    assert "https://example.org/link" in rendered.text

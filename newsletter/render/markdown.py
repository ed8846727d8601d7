"""Untrusted item Markdown to safe HTML (allowlist sanitized) and to plain text.

Item bodies come from imported digests and are never trusted. Markdown is parsed with
markdown-it-py with raw HTML turned off (inline HTML comes out as visible, escaped text), and
the HTML it makes is then cleaned by nh3 against a small allowlist. Only absolute http(s) and
mailto links survive: any other scheme (``javascript:``, ``data:``, relative URLs) loses its
link and keeps its text.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter.cjk_emphasis import cjk_emphasis
from newsletter.text import untrusted_text
from newsletter.urls import SCHEMES, safe_url

ALLOWED_TAGS = frozenset(
    {"p", "br", "strong", "b", "em", "i", "a", "ul", "ol", "li", "code", "pre", "blockquote",
     "hr", "table", "thead", "tbody", "tr", "th", "td", "s"}
)  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_BARE_ANCHOR = re.compile(r"<a>(.*?)</a>", re.DOTALL)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # CommonMark without raw HTML; images stay out of bodies (an item's images are listed
    # apart, with alt text, and scaled by the layout).
    return (
        MarkdownIt("commonmark", {"html": False})
        .enable(["table", "strikethrough"])
        .disable("image")
        .use(cjk_emphasis)
    )


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return safe_url(value)
    return value


def to_html(body: str) -> str:
    """Sanitized HTML for an item body in Markdown (bold, emphasis, links, lists, code)."""
    raw = _parser().render(untrusted_text(body))
    cleaned = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in _ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=_attribute_filter,
    )
    # A link whose URL was refused keeps its text, without an empty anchor around it.
    return _BARE_ANCHOR.sub(r"\1", cleaned).strip()


def _inline_text(children: list[Token]) -> str:
    out: list[str] = []
    href_stack: list[str | None] = []
    link_text_start: list[int] = []
    for tok in children:
        if tok.type in ("text", "code_inline"):
            out.append(tok.content)
        elif tok.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif tok.type == "link_open":
            href = tok.attrs.get("href")
            href_stack.append(safe_url(str(href)) if href is not None else None)
            link_text_start.append(len(out))
        elif tok.type == "link_close" and href_stack:
            href = href_stack.pop()
            start = link_text_start.pop()
            label = "".join(out[start:]).strip()
            if href and href.removeprefix("mailto:") != label:
                out.append(f" ({href})")
    return "".join(out)


def to_text(body: str) -> str:
    """Plain text for an item body: emphasis marks dropped, each link as ``text (url)``.

    Links with a refused scheme keep their text only, as in the HTML part.
    """
    tokens = _parser().parse(untrusted_text(body))
    blocks: list[str] = []
    lists: list[list[int]] = []  # per open list: [next number] (ordered) or [] (bullets)
    quote = 0
    row: list[str] | None = None
    pending_marker = ""
    for tok in tokens:
        if tok.type == "bullet_list_open":
            lists.append([])
        elif tok.type == "ordered_list_open":
            lists.append([int(tok.attrs.get("start", 1) or 1)])
        elif tok.type in ("bullet_list_close", "ordered_list_close") and lists:
            lists.pop()
        elif tok.type == "list_item_open" and lists:
            counter = lists[-1]
            if counter:
                pending_marker = f"{counter[0]}. "
                counter[0] += 1
            else:
                pending_marker = "- "
        elif tok.type == "blockquote_open":
            quote += 1
        elif tok.type == "blockquote_close":
            quote -= 1
        elif tok.type == "tr_open":
            row = []
        elif tok.type == "tr_close" and row is not None:
            blocks.append(" | ".join(c for c in row))
            row = None
        elif tok.type == "hr":
            blocks.append("----")
        elif tok.type == "inline":
            text = _inline_text(tok.children or [])
            if row is not None:
                row.append(" ".join(text.split()))
                continue
            indent = "  " * max(len(lists) - 1, 0) if lists else ""
            if pending_marker:
                text = indent + pending_marker + text.replace("\n", "\n" + indent + "   ")
                pending_marker = ""
            elif lists:
                text = indent + "   " + text.replace("\n", "\n" + indent + "   ")
            if quote:
                text = "\n".join("> " + ln for ln in text.splitlines())
            blocks.append(text)
        elif tok.type in ("fence", "code_block"):
            blocks.append(tok.content.rstrip("\n"))
    return "\n".join(b for b in blocks if b.strip())

"""What a digest source shows a reader, to compare with what the email shows.

Independent of the importer: Markdown is rendered by markdown-it (CommonMark and tables) and
read back as text with lxml; a feed's entries are read with feedparser and lxml; JSON gives
its strings. "Visible text" is letters and digits only, so layout and punctuation changes
do not count, and the comparison is in order.
"""

from __future__ import annotations

import difflib
import io
import json
import re
from pathlib import Path
from typing import Any

import feedparser
from lxml import html
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newsletter.cjk_emphasis import cjk_emphasis

_NUMBERED_HEADING = re.compile(r"^\s*\d{1,4}\s*[.)、．]\s*\S")
_URL = re.compile(r"https?://[^\s)\]<>\"']+")


def _md() -> MarkdownIt:
    # Raw HTML as a browser would show it: tags are not text, scripts are invisible.
    # Every link is a link (the visible part is its label), whatever its scheme.
    md = MarkdownIt("commonmark", {"html": True}).enable("table").use(cjk_emphasis)
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_CUT = re.compile(r"…|%E2%80%A6", re.IGNORECASE)
_CLOSING_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")


def _md_tokens(text: str) -> list[Token]:
    """The source's tokens as its author meant them: a code fence left open to the end of
    the file (a stray closing fence) is read as the Markdown it swallowed."""
    md = _md()
    tokens = md.parse(text)
    lines = text.splitlines()
    out: list[Token] = []
    for tok in tokens:
        unclosed = (
            tok.type == "fence"
            and tok.level == 0
            and tok.map is not None
            and tok.map[1] >= len(lines)
            and not _CLOSING_FENCE.match(lines[-1] if lines else "")
        )
        out += _md_tokens(tok.content) if unclosed else [tok]
    return out


def _strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            return text[end + 4 :]
    return text


def _html_text(markup: str) -> str:
    root = html.fragment_fromstring(markup, create_parent="div")
    for el in root.iter("script", "style"):
        el.drop_tree()
    return str(root.text_content())


def _html_links(markup: str) -> list[str]:
    root = html.fragment_fromstring(markup, create_parent="div")
    return [str(a.get("href")) for a in root.iter("a") if str(a.get("href", "")).startswith("http")]


def _feed_entries(path: Path) -> list[tuple[str, str]]:
    parsed = feedparser.parse(io.BytesIO(path.read_bytes()), sanitize_html=False)
    seen: set[str] = set()
    out = []
    for entry in parsed.entries:
        guid = str(entry.get("id") or entry.get("link") or "")
        if guid in seen:
            continue
        seen.add(guid)
        content = entry.get("content") or []
        markup = str(content[0]["value"]) if content else str(entry.get("summary", ""))
        out.append((str(entry.get("title", "")), markup))
    return out


def _json_strings(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            if key in ("url", "date", "kind", "number", "depth", "alt", "headline"):
                continue  # not text (or, the headline, a part of the title)
            if key == "title" and str(value.get("body", "")).strip():
                continue  # an item's title is the lead of its body
            if key in ("body", "markdown") and isinstance(sub, str):
                out.append(_html_text(_md().render(sub) or "<p></p>"))
            else:
                _json_strings(sub, out)
    elif isinstance(value, list):
        for sub in value:
            _json_strings(sub, out)
    elif isinstance(value, str):
        out.append(value)


def visible_text(path: Path) -> str:
    """The text a reader of the source sees."""
    if path.suffix == ".md":
        md = _md()
        tokens = _md_tokens(_strip_front_matter(path.read_text(encoding="utf-8")))
        return _html_text(md.renderer.render(tokens, md.options, {}) or "<p></p>")
    if path.suffix == ".xml":
        return "\n".join(f"{title}\n{_html_text(markup)}" for title, markup in _feed_entries(path))
    if path.suffix == ".json":
        out: list[str] = []
        _json_strings(json.loads(path.read_text(encoding="utf-8")), out)
        return "\n".join(out)
    raise ValueError(path)


def _token_links(tokens: list[Token]) -> list[str]:
    urls = []
    for tok in tokens:
        if tok.type == "link_open" and str(tok.attrs.get("href", "")).startswith("http"):
            urls.append(str(tok.attrs["href"]))
        if tok.children:
            urls += _token_links(tok.children)
    return urls


def source_links(path: Path) -> list[str]:
    """Every http(s) link of the source (not images; those are checked in the HTML part)."""
    if path.suffix == ".md":
        urls = _token_links(_md_tokens(_strip_front_matter(path.read_text(encoding="utf-8"))))
        # A URL the source cut with "…" leads nowhere: it is kept as text and reported.
        return [u for u in urls if not _CUT.search(u)]
    if path.suffix == ".xml":
        return [u for _, markup in _feed_entries(path) for u in _html_links(markup)]
    text = path.read_text(encoding="utf-8")
    return [u for u in _URL.findall(text) if not re.search(r"\.(png|jpe?g|gif|avif|webp)$", u)]


def numbered_entries(path: Path) -> int:
    """How many numbered entries the source has: top-level numbered list entries and
    numbered headings (``### 1. [title](url)``)."""
    if path.suffix == ".md":
        tokens = _md_tokens(_strip_front_matter(path.read_text(encoding="utf-8")))
        count = 0
        depth = 0
        for n, tok in enumerate(tokens):
            if tok.type in ("bullet_list_open", "ordered_list_open"):
                depth += 1
            elif tok.type in ("bullet_list_close", "ordered_list_close"):
                depth -= 1
            else:
                entry = tok.type == "list_item_open" and depth == 1 and tok.info.isdigit()
                heading = tok.type == "heading_open" and bool(
                    _NUMBERED_HEADING.match(tokens[n + 1].content.lstrip("*_ "))
                )
                count += entry or heading
        return count
    if path.suffix == ".xml":
        total = 0
        for _, markup in _feed_entries(path):
            root = html.fragment_fromstring(markup, create_parent="div")
            total += sum(
                1 for li in root.iter("li")
                if li.getparent() is not None and li.getparent().tag == "ol"
                and not any(a.tag == "li" for a in li.iterancestors())
            )  # fmt: skip
        return total
    doc = json.loads(path.read_text(encoding="utf-8"))
    return sum(
        1
        for s in doc["sections"]
        for b in s.get("blocks") or s.get("items") or []
        if b.get("kind", "item") == "item"
    )


def alnum(text: str) -> str:
    """Letters and digits only."""
    return "".join(c for c in text if c.isalnum())


def coverage(source: str, rendered: str) -> float:
    """The share of the source's letters and digits found, in order, in ``rendered``."""
    a, b = alnum(source), alnum(rendered)
    if not a:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(m.size for m in matcher.get_matching_blocks()) / len(a)

"""Parser for RSS 2.0 and Atom feeds of daily digests (feedparser + lxml).

Each entry is one day. Its HTML content holds ``<h3>`` sections followed by ``<ol>``/``<ul>``
items; a heading with 摘要/summary introduces the summary. An item's ``<li>`` becomes
Markdown: ``<strong>`` → ``**``, ``<a>`` → ``[text](url)``; its ``<img>`` become images and a
nested list of links becomes its links.
"""

from __future__ import annotations

import datetime as dt
import io
import time
from typing import Any

import feedparser
from lxml import etree, html
from pydantic import ValidationError

from newsletter.digest.model import Digest, DigestItem, Image, Link, Section
from newsletter.digest.text import find_date, item_title, plain, source_host, summary_lines
from newsletter.errors import InputError

_HEADINGS = {"h1", "h2", "h3", "h4"}
_LISTS = {"ol", "ul"}
_SUMMARY_WORDS = ("摘要", "summary", "概要")


def _inline_markdown(el: Any, images: list[Image]) -> str:
    """Text of ``el`` as inline Markdown; images are collected, nested lists skipped."""
    out: list[str] = [el.text or ""] if el.tag not in ("img",) else []
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _LISTS:
            pass
        elif tag == "img":
            src = (child.get("src") or "").strip()
            if src:
                images.append(Image(url=src, alt=(child.get("alt") or "").strip()))
        elif tag in ("strong", "b"):
            inner = _inline_markdown(child, images).strip()
            out.append(f"**{inner}**" if inner else "")
        elif tag == "a":
            inner = _inline_markdown(child, images).strip()
            href = (child.get("href") or "").strip()
            out.append(f"[{inner}]({href})" if href.startswith(("http://", "https://")) else inner)
        elif tag == "br":
            out.append("\n")
        elif tag:
            out.append(_inline_markdown(child, images))
        out.append(child.tail or "")
    return "".join(out)


def _item(li: Any, where: str) -> DigestItem:
    images: list[Image] = []
    links: list[Link] = []
    try:
        body = "\n".join(ln.strip() for ln in _inline_markdown(li, images).splitlines()).strip()
        for sub in li:
            if isinstance(sub.tag, str) and sub.tag in _LISTS:
                for a in sub.iter("a"):
                    text = plain(_inline_markdown(a, images))
                    links.append(Link(text=text, url=(a.get("href") or "").strip()))
                for img in sub.iter("img"):
                    images.append(
                        Image(url=(img.get("src") or "").strip(), alt=img.get("alt") or "")
                    )
    except ValidationError as exc:
        url = exc.errors()[0].get("input", "")
        raise InputError(f"{where}: broken link or image URL {str(url)[:80]!r}") from None
    if not body:
        raise InputError(f"{where}: item has no text")
    source = source_host([link.url for link in links], body)
    return DigestItem(title=item_title(body), body=body, links=links, images=images, source=source)


def _entry_digest(entry: Any, *, where: str, date: dt.date | None) -> Digest:
    title = plain(str(entry.get("title", ""))) or ""
    content = entry.get("content") or []
    markup = str(content[0].get("value", "")) if content else str(entry.get("summary", ""))
    if not markup.strip():
        raise InputError(f"{where}: entry has no HTML content")
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"{where}: unreadable HTML content ({exc})") from None
    sections: list[Section] = []
    summary: list[str] = []
    current: str | None = None
    in_summary = False
    pending: list[DigestItem] = []

    def close() -> None:
        if current is not None:
            if not pending:
                raise InputError(f"{where}: section {current!r} has no items")
            sections.append(Section(name=current, items=list(pending)))
        pending.clear()

    for el in root:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _HEADINGS:
            name = plain(el.text_content())
            if any(w in name.lower() for w in _SUMMARY_WORDS) and not sections and current is None:
                in_summary = True
                continue
            close()
            in_summary = False
            current = name
            if not current:
                raise InputError(f"{where}: empty section heading")
        elif in_summary and tag in ("pre", "p", "blockquote", "div"):
            summary.extend(el.text_content().splitlines())
        elif tag in _LISTS and current is not None:
            for n, li in enumerate(el.findall("li"), 1):
                pending.append(_item(li, f"{where}, section {current!r}, item {n}"))
    close()
    if not sections:
        raise InputError(f"{where}: not a digest: no <h3> section with <ol>/<ul> items")
    if not summary:
        description = entry.get("summary", "")
        if content and description and description != markup:
            summary = plain(str(description)).splitlines()
    day = date or _entry_date(entry) or find_date(title)
    if day is None:
        raise InputError(f"{where}: no date in the entry: give one with --date YYYY-MM-DD")
    return Digest(
        date=day,
        title=title or f"{day.isoformat()}",
        summary="\n".join(summary_lines(summary)),
        sections=sections,
    )


def _entry_date(entry: Any) -> dt.date | None:
    title_date = find_date(str(entry.get("title", "")))
    if title_date is not None:
        # The day a digest is about is in its title; the publication time may be the next day.
        return title_date
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def parse_feed(data: bytes, *, source: str, date: dt.date | None = None) -> list[Digest]:
    """Every entry of an RSS/Atom feed as a digest; with ``date``, only that day's entry."""
    # A stream, never a string: feedparser would treat a string as a URL or a file name.
    parsed = feedparser.parse(io.BytesIO(data))
    entries = list(parsed.get("entries", []))
    if not entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({str(reason).splitlines()[0][:100]})" if reason else ""
        raise InputError(f"not a digest feed: no entries{detail}", source=source)
    digests = []
    for n, entry in enumerate(entries, 1):
        where = f"{source}: entry {n}"
        if entry.get("title"):
            where += f" ({plain(str(entry['title']))[:40]})"
        digests.append(_entry_digest(entry, where=where, date=None))
    if date is not None:
        chosen = [d for d in digests if d.date == date]
        if not chosen and len(digests) == 1:
            return [digests[0].model_copy(update={"date": date})]
        if not chosen:
            raise InputError(f"no entry for {date.isoformat()} in the feed", source=source)
        return chosen
    return digests

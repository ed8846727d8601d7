"""RSS 2.0 and Atom feeds of daily digests: each entry is one day (feedparser, then lxml).

An entry's HTML (``content:encoded``, Atom ``content``, else its description) is read into
the same document as Markdown is, and mapped the same way. Entries are de-duplicated by guid
(the first one wins). An entry's day comes from its title, then its link, and only then from
its publication date: the generator labels Shanghai time as GMT, so the date part of
``pubDate`` can be a day late.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import feedparser

from newsletter.digest.document import Heading, Text, inline_text
from newsletter.digest.html_reader import read_html
from newsletter.digest.mapping import to_digest
from newsletter.digest.model import Digest
from newsletter.digest.text import find_date
from newsletter.errors import InputError
from newsletter.text import markdown_to_text

Report = Callable[[str], None]


def entry_date(entry: Any) -> dt.date | None:
    """The day an entry is about: from its title, its link, then its publication date."""
    for text in (str(entry.get("title", "")), str(entry.get("link", ""))):
        if (day := find_date(text)) is not None:
            return day
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _entry_digest(
    entry: Any,
    *,
    where: str,
    channel: str,
    report: Report,
    drop: Sequence[re.Pattern[str]],
) -> tuple[Digest, list[str]]:
    title = markdown_to_text(str(entry.get("title", "")))
    content = entry.get("content") or []
    markup = str(content[0].get("value", "")) if content else str(entry.get("summary", ""))
    if not markup.strip():
        raise InputError(f"{where}: entry has no HTML content")
    day = entry_date(entry)
    if day is None:
        raise InputError(f"{where}: no date in the entry: give one with --date YYYY-MM-DD")
    doc = read_html(markup)
    if not title:
        title = f"{channel} {day.isoformat()}".strip()
    first = doc.blocks[0] if doc.blocks else None
    if not (isinstance(first, Heading) and find_date(inline_text(first.inlines)) == day):
        # The entry's title is the digest's, unless its content starts with its own.
        doc.blocks.insert(0, Heading(1, [Text(title)], 1))
    digest, dropped = to_digest(
        doc,
        source=where,
        warn=lambda line, message: report(f"{where}, line {line}: {message}"),
        date=day,
        drop=drop,
    )
    if not digest.summary:
        description = entry.get("summary", "")
        if content and description and description != markup:
            text = markdown_to_text(str(description))
            digest = digest.model_copy(update={"summary": text})
    return digest, dropped


def parse_feed(
    data: bytes,
    *,
    source: str,
    date: dt.date | None = None,
    report: Report,
    drop: Sequence[re.Pattern[str]] = (),
) -> tuple[list[Digest], list[str]]:
    """Every entry of an RSS/Atom feed as a digest; with ``date``, only that day's entry."""
    # A stream, never a string: feedparser would treat a string as a URL or a file name.
    # Not sanitized by feedparser: our reader drops what is unsafe and says so.
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False)
    entries = list(parsed.get("entries", []))
    if not entries:
        reason = parsed.get("bozo_exception")
        detail = f" ({str(reason).splitlines()[0][:100]})" if reason else ""
        raise InputError(f"not a digest feed: no entries{detail}", source=source)
    channel = markdown_to_text(str(parsed.get("feed", {}).get("title", "")))
    digests: list[Digest] = []
    dropped: list[str] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, 1):
        where = f"{source}: entry {n}"
        if entry.get("title"):
            where += f" ({markdown_to_text(str(entry['title']))[:40]})"
        guid = str(entry.get("id") or entry.get("link") or "")
        if guid and guid in seen:
            report(f"{where}: duplicate of an earlier entry (guid {guid[:80]!r}) skipped")
            continue
        seen.add(guid)
        if date is not None and len(entries) > 1 and entry_date(entry) != date:
            continue
        digest, gone = _entry_digest(entry, where=where, channel=channel, report=report, drop=drop)
        digests.append(digest)
        dropped += gone
    if date is not None:
        if not digests:
            raise InputError(f"no entry for {date.isoformat()} in the feed", source=source)
        digests = [d.model_copy(update={"date": date}) for d in digests]
    by_day: dict[dt.date, Digest] = {}
    for digest in digests:
        if digest.date in by_day:
            report(f"{source}: a second entry for {digest.date.isoformat()} skipped")
            continue
        by_day[digest.date] = digest
    return list(by_day.values()), dropped

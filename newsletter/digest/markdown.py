"""Parser for the Markdown digest format (both the 2025 and the 2026 layouts).

Recognized, line by line: a title heading (``#`` or ``##``) holding the date; a summary
heading (``### **AI内容摘要**``, ``### 今日摘要``, ``### Summary``) followed by a fenced block
(or plain lines); ``###`` section headings; numbered items (``1.  text``); under an item,
bullet links (``*   [text](url)``), images (``![alt](url)``, possibly wrapped in ``<br/>``) and
continuation text. Anything that breaks this raises :class:`InputError` with the line number.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pydantic import ValidationError

from newsletter.digest.model import Digest, DigestItem, Image, Link, Section
from newsletter.digest.text import find_date, item_title, plain, source_host, summary_lines
from newsletter.errors import InputError

_TITLE = re.compile(r"^#{1,2}\s+(\S.*)$")
_SECTION = re.compile(r"^#{3,6}\s+(.*)$")
_ITEM = re.compile(r"^ {0,3}(\d{1,3})[.)]\s+(.*)$")
_BULLET = re.compile(r"^\s*[*+-]\s+(.*)$")
_LINK_LINE = re.compile(r"^\[([^\]]*)\]\((\S+)\)$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_FENCE = re.compile(r"^\s*(```|~~~)")
_SUMMARY_WORDS = ("摘要", "summary", "tl;dr", "概要")


@dataclass
class _Item:
    line: int
    body: list[str]
    links: list[Link] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)


@dataclass
class _Section:
    line: int
    name: str
    items: list[_Item] = field(default_factory=list)


def _heading_text(raw: str) -> str:
    return plain(raw).strip("# ").strip()


def _is_summary_heading(name: str) -> bool:
    low = name.lower()
    return any(w in low for w in _SUMMARY_WORDS)


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source
        self.title: str | None = None
        self.title_line = 0
        self.summary_lines: list[str] = []
        self.sections: list[_Section] = []

    def error(self, line: int, message: str) -> InputError:
        return InputError(message, source=self.source, line=line)

    def parse(self) -> None:
        i = 0
        n = len(self.lines)
        while i < n:
            lineno = i + 1
            raw = self.lines[i]
            stripped = raw.strip()
            i += 1
            if not stripped:
                continue
            if self.title is None and (m := _TITLE.match(stripped)):
                self.title = plain(m[1])
                self.title_line = lineno
                continue
            if m := _SECTION.match(stripped):
                name = _heading_text(m[1])
                if not name:
                    raise self.error(lineno, "empty section heading")
                if _is_summary_heading(name) and not self.sections:
                    i = self._summary(i)
                    continue
                self.sections.append(_Section(lineno, name))
                continue
            if m := _ITEM.match(raw):
                if not self.sections:
                    raise self.error(lineno, "numbered item before any `###` section heading")
                self.sections[-1].items.append(_Item(lineno, []))
                self._content(m[2], lineno)
                continue
            if self.sections and self.sections[-1].items:
                self._content(raw, lineno)
            # Other lines before the first item (tagline, intro text) carry no items.

    def _summary(self, i: int) -> int:
        """Read the summary after its heading; returns the index of the next unread line."""
        n = len(self.lines)
        while i < n and not self.lines[i].strip():
            i += 1
        if i < n and (fence := _FENCE.match(self.lines[i])):
            start = i + 1
            j = start
            while j < n and not self.lines[j].strip().startswith(fence[1]):
                j += 1
            if j >= n:
                raise self.error(i + 1, "summary code fence is never closed")
            self.summary_lines = self.lines[start:j]
            return j + 1
        j = i
        while j < n and self.lines[j].strip() and not self.lines[j].lstrip().startswith("#"):
            j += 1
        self.summary_lines = [ln.lstrip("> ").strip() for ln in self.lines[i:j]]
        return j

    def _content(self, raw: str, lineno: int) -> None:
        """A line that belongs to the current item: a bullet link, images, or body text."""
        item = self.sections[-1].items[-1]
        text = raw.strip()
        if bullet := _BULLET.match(text):
            inner = bullet[1].strip()
            if inner.startswith("[") or "](" in inner:
                m = _LINK_LINE.match(inner)
                if not m:
                    raise self.error(lineno, f"broken link line: {inner[:80]!r}")
                item.links.append(self._link(m[1], m[2], line=lineno))
                return
            item.body.append(f"- {inner}")
            return
        for m in _IMAGE.finditer(text):
            try:
                item.images.append(Image(url=m[2], alt=m[1].strip()))
            except ValidationError:
                raise self.error(lineno, f"image with a broken URL: {m[2][:80]!r}") from None
        rest = _BR.sub(" ", _IMAGE.sub("", text)).strip()
        if rest:
            if "![" in rest:
                raise self.error(lineno, f"broken image: {rest[:80]!r}")
            item.body.append(rest)

    def _link(self, text: str, url: str, *, line: int) -> Link:
        try:
            return Link(text=text.strip(), url=url)
        except ValidationError:
            raise self.error(line, f"link with a broken URL: {url[:80]!r}") from None


def parse_markdown(text: str, *, source: str, date: dt.date | None = None) -> Digest:
    """Parse one Markdown digest. ``date`` overrides the date in the title."""
    p = _Parser(text, source)
    p.parse()
    if p.title is None:
        raise InputError("not a digest: no title line (`# title with the date`)", source=source)
    if not p.sections:
        raise InputError("not a digest: no `###` section with numbered items", source=source)
    sections: list[Section] = []
    for sec in p.sections:
        if not sec.items:
            raise p.error(sec.line, f"section {sec.name!r} has no items")
        items: list[DigestItem] = []
        for it in sec.items:
            body = "\n".join(it.body).strip()
            if not body:
                raise p.error(it.line, "item has no text")
            items.append(
                DigestItem(
                    title=item_title(body),
                    body=body,
                    links=it.links,
                    images=it.images,
                    source=source_host([link.url for link in it.links], body),
                )
            )
        sections.append(Section(name=sec.name, items=items))
    day = date or find_date(p.title)
    if day is None:
        raise p.error(p.title_line, "no date in the title line: give one with --date YYYY-MM-DD")
    summary = "\n".join(summary_lines(p.summary_lines))
    return Digest(date=day, title=p.title, summary=summary, sections=sections)

"""The digest as parsed from any format: the JSON import schema is exactly this model.

A digest keeps everything of the source, in order: title, date, headline, tagline, summary,
and sections. A section has a heading and an ordered list of blocks: items (numbered
entries) and text blocks (paragraphs, quotes, lists, tables: sanitized Markdown).

Every free-text field is cleaned of control characters (C0 and C1, DEL and NUL; tab and
newline are kept where text may span lines); plain-text fields (titles, headings) also lose
any markup, so ``<script>alert("x")</script>`` leaves nothing of itself.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from newsletter.text import CONTROLS, clean_text, plain_line

_BAD_URL_CHAR = re.compile(f"[\\s{CONTROLS}]")


Text = Annotated[str, AfterValidator(clean_text)]
Line = Annotated[str, AfterValidator(plain_line)]


def _non_empty(value: str) -> str:
    if not value:
        raise ValueError("must not be empty")
    return value


NonEmptyLine = Annotated[Line, AfterValidator(_non_empty)]


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host and no whitespace, else :class:`ValueError`."""
    url = url.strip()
    bad = ValueError(f"not an absolute http(s) URL: {url[:80]!r}")
    if _BAD_URL_CHAR.search(url):
        raise bad
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise bad from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise bad
    return url


class Link(BaseModel):
    """A link: its text and an absolute http(s) URL."""

    model_config = ConfigDict(extra="forbid")
    text: Line = ""
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)


class Image(BaseModel):
    """An image: absolute http(s) URL and alt text (may be empty in the source)."""

    model_config = ConfigDict(extra="forbid")
    url: str
    alt: Line = ""

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        return check_url(v)


class DigestItem(BaseModel):
    """One news item. ``body`` is sanitized Markdown (inline bold and links kept).

    ``number`` is the source's own number for the entry (``3.`` → 3), None when the source
    gave none (a JSON item without one).
    """

    model_config = ConfigDict(extra="forbid")
    kind: Literal["item"] = "item"
    number: int | None = Field(default=None, ge=0, le=1_000_000)
    title: NonEmptyLine
    body: Text = ""
    links: list[Link] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    source: Line = ""


class TextBlock(BaseModel):
    """Prose between or instead of items: a paragraph, quote, list, table or rule, as
    sanitized Markdown; images that stood in it are listed apart."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["text"] = "text"
    markdown: Text = ""
    images: list[Image] = Field(default_factory=list)


Block = Annotated[DigestItem | TextBlock, Field(discriminator="kind")]


class Section(BaseModel):
    """A heading (plain text, emoji kept; may be empty for text before the first heading)
    with its blocks in source order. ``depth`` is 0 for a top-level section, 1 or more for a
    sub-section under the one before it; ``url`` is the heading's own link, if it had one."""

    model_config = ConfigDict(extra="forbid")
    heading: Line = ""
    depth: int = Field(default=0, ge=0, le=5)
    url: str | None = None
    blocks: list[Block] = Field(default_factory=list)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return None if v is None else check_url(v)

    @property
    def items(self) -> list[DigestItem]:
        """The section's items, without its text blocks."""
        return [b for b in self.blocks if isinstance(b, DigestItem)]


class Digest(BaseModel):
    """A day's digest."""

    model_config = ConfigDict(extra="forbid")
    date: dt.date
    title: NonEmptyLine
    #: The title's words after the date ("AI模型大逆转！"), empty when there are none.
    headline: Line = ""
    #: The meta line under the title ("🤖 AI科技日报 | ⏰ 每日精选 | ...").
    tagline: Line = ""
    #: The summary, one sentence per line.
    summary: Text = ""
    sections: list[Section] = Field(min_length=1)

    @property
    def item_count(self) -> int:
        """Number of items over all sections."""
        return sum(len(s.items) for s in self.sections)

    @property
    def text_block_count(self) -> int:
        """Number of text blocks over all sections."""
        return sum(len(s.blocks) - len(s.items) for s in self.sections)

"""The intermediate document: what Markdown (markdown-it tokens) and HTML (lxml) both become.

A document is a list of blocks (headings, paragraphs, lists, quotes, code, tables, rules,
raw HTML) holding inline nodes (text, strong, emphasis, code, links, images, line breaks).
Each block knows its source line, so a warning can name it. Nothing here is sanitized yet:
:mod:`newsletter.digest.mapping` decides what to keep.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Text:
    """Literal text."""

    text: str


@dataclass
class Strong:
    """Bold text."""

    children: list[Inline]


@dataclass
class Emph:
    """Emphasized text."""

    children: list[Inline]


@dataclass
class Code:
    """Inline code."""

    text: str


@dataclass
class Link:
    """A link as written: ``href`` is whatever the source said (not checked yet)."""

    href: str
    children: list[Inline]


@dataclass
class Img:
    """An image as written (``src`` not checked yet)."""

    src: str
    alt: str


@dataclass
class Break:
    """A line break inside a paragraph."""


@dataclass
class Dropped:
    """Something the reader removed (raw HTML, a script): kept only to be reported, by
    ``what``, a message saying what was done ("onerror attribute dropped")."""

    what: str


Inline = Text | Strong | Emph | Code | Link | Img | Break | Dropped


@dataclass
class Heading:
    """A heading of level 1-6."""

    level: int
    inlines: list[Inline]
    line: int


@dataclass
class Para:
    """A paragraph."""

    inlines: list[Inline]
    line: int


@dataclass
class ListItem:
    """One entry of a list, with the number the source gave it (ordered lists)."""

    blocks: list[Block]
    line: int
    number: int | None = None


@dataclass
class ListBlock:
    """A bullet or numbered list."""

    ordered: bool
    items: list[ListItem]
    line: int


@dataclass
class Quote:
    """A block quote (notices, call-to-action boxes, taglines)."""

    blocks: list[Block]
    line: int


@dataclass
class CodeBlock:
    """A fenced or indented code block (the digests put their summary in one)."""

    text: str
    line: int


@dataclass
class Table:
    """A table: the header row and the body rows, each cell a list of inlines."""

    header: list[list[Inline]]
    rows: list[list[list[Inline]]]
    line: int


@dataclass
class Rule:
    """A horizontal rule."""

    line: int


@dataclass
class RawHtml:
    """A block of raw HTML in Markdown: its visible text only (tags and scripts removed)."""

    text: str
    line: int


Block = Heading | Para | ListBlock | Quote | CodeBlock | Table | Rule | RawHtml


@dataclass
class Document:
    """A parsed source: its blocks and its front matter (YAML mapping), if any."""

    blocks: list[Block]
    front_matter: dict[str, Any] = field(default_factory=dict)
    #: Warnings the reader already knows (line, message), e.g. unreadable front matter.
    notes: list[tuple[int, str]] = field(default_factory=list)


def inline_text(inlines: list[Inline]) -> str:
    """The visible text of inline nodes (link texts, image alts left out)."""
    out: list[str] = []
    for node in inlines:
        if isinstance(node, Text | Code):
            out.append(node.text)
        elif isinstance(node, Strong | Emph | Link):
            out.append(inline_text(node.children))
        elif isinstance(node, Break):
            out.append("\n")
    return "".join(out)


def block_text(block: Block) -> str:
    """The visible text of a block, lines joined by newlines."""
    if isinstance(block, Heading | Para):
        return inline_text(block.inlines)
    if isinstance(block, ListBlock):
        return "\n".join(block_text(b) for li in block.items for b in li.blocks)
    if isinstance(block, Quote):
        return "\n".join(block_text(b) for b in block.blocks)
    if isinstance(block, CodeBlock | RawHtml):
        return block.text
    if isinstance(block, Table):
        cells = [*block.header, *(c for row in block.rows for c in row)]
        return "\n".join(inline_text(c) for c in cells)
    return ""

"""Markdown to the intermediate document, through markdown-it-py's token tree.

CommonMark with tables, strikethrough, YAML front matter (mdit-py-plugins) and the
CJK-friendly emphasis the digests need. Raw HTML is recognized (so that it can be reported),
never passed on: ``<br>`` becomes a line break, ``<img>`` an image, a script or style is
dropped with its content, any other tag is dropped and its text kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml
from lxml import etree, html
from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode
from mdit_py_plugins.front_matter import front_matter_plugin

from newsletter.cjk_emphasis import cjk_emphasis
from newsletter.digest import document as d
from newsletter.digest.repair import repair_markdown
from newsletter.text import INVISIBLE, markup_to_text

_BR = re.compile(r"^<br\s*/?>$", re.IGNORECASE)
_TAG = re.compile(r"^<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_COMMENT = re.compile(r"^<!--.*-->$", re.DOTALL)


def _any_link(url: str) -> bool:
    return True


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = (
        MarkdownIt("commonmark", {"html": True})
        .enable(["table", "strikethrough"])
        .use(front_matter_plugin)
        .use(cjk_emphasis)
    )
    # Every link is read as a link, ``javascript:`` ones too: the mapping drops what is not
    # http(s) and says so (markdown-it would silently leave it as literal text).
    md.validateLink = _any_link  # type: ignore[method-assign]
    return md


def _line(node: SyntaxTreeNode, fallback: int) -> int:
    return node.map[0] + 1 if node.map else fallback


def _img_tag(tag: str) -> list[d.Inline]:
    """An inline ``<img ...>`` tag: the image, plus a note for each event-handler attribute."""
    try:
        el = html.fragment_fromstring(tag)
    except (etree.ParserError, ValueError):
        return [d.Dropped("unreadable <img> tag dropped")]
    out: list[d.Inline] = [d.Img(src=el.get("src") or "", alt=el.get("alt") or "")]
    out += [
        d.Dropped(f"{name} attribute dropped")
        for name in el.attrib
        if name.lower().startswith("on")
    ]
    return out


def _inlines(nodes: list[SyntaxTreeNode]) -> list[d.Inline]:
    out: list[d.Inline] = []
    skip_until: str | None = None  # inside <script>...</script>: drop everything
    for node in nodes:
        if skip_until is not None:
            m = _TAG.match(node.content) if node.type == "html_inline" else None
            if m is not None and m[1] == "/" and m[2].lower() == skip_until:
                skip_until = None
            continue
        kind = node.type
        if kind == "text":
            out.append(d.Text(node.content))
        elif kind == "softbreak":
            out.append(d.Text("\n"))
        elif kind == "hardbreak":
            out.append(d.Break())
        elif kind == "code_inline":
            out.append(d.Code(node.content))
        elif kind == "strong":
            out.append(d.Strong(_inlines(node.children)))
        elif kind == "em":
            out.append(d.Emph(_inlines(node.children)))
        elif kind == "link":
            out.append(
                d.Link(href=str(node.attrs.get("href", "")), children=_inlines(node.children))
            )
        elif kind == "image":
            alt = d.inline_text(_inlines(node.children))
            out.append(d.Img(src=str(node.attrs.get("src", "")), alt=alt))
        elif kind == "html_inline":
            out.extend(_html_inline(node.content))
            m = _TAG.match(node.content)
            if m and not m[1] and m[2].lower() in INVISIBLE:
                skip_until = m[2].lower()
        else:
            out.extend(_inlines(node.children))
    return out


def _html_inline(tag: str) -> list[d.Inline]:
    tag = tag.strip()
    if _BR.match(tag):
        return [d.Break()]
    if _COMMENT.match(tag):
        return []
    m = _TAG.match(tag)
    if m is None:
        return [d.Dropped("raw HTML dropped")]
    name = m[2].lower()
    if m[1]:
        return []  # a closing tag: its opening one was reported
    if name == "img":
        return _img_tag(tag)
    if name in INVISIBLE:
        return [d.Dropped(f"<{name}> element dropped with its content")]
    return [d.Dropped(f"raw HTML tag <{name}> dropped, its text kept")]


def _blocks(nodes: list[SyntaxTreeNode], fallback: int) -> list[d.Block]:
    out: list[d.Block] = []
    for node in nodes:
        line = _line(node, fallback)
        kind = node.type
        if kind == "heading":
            level = int(node.tag[1]) if len(node.tag) == 2 else 6
            out.append(d.Heading(level, _inline_of(node), line))
        elif kind == "paragraph":
            out.append(d.Para(_inline_of(node), line))
        elif kind in ("bullet_list", "ordered_list"):
            ordered = kind == "ordered_list"
            start = int(node.attrs.get("start", 1) or 1) if ordered else None
            items = []
            for n, li in enumerate(node.children):
                number = None
                if ordered:
                    number = int(li.info) if li.info.isdigit() else (start or 1) + n
                items.append(
                    d.ListItem(_blocks(li.children, _line(li, line)), _line(li, line), number)
                )
            out.append(d.ListBlock(ordered, items, line))
        elif kind == "blockquote":
            out.append(d.Quote(_blocks(node.children, line), line))
        elif kind in ("fence", "code_block"):
            out.append(d.CodeBlock(node.content, line))
        elif kind == "hr":
            out.append(d.Rule(line))
        elif kind == "html_block":
            if not _COMMENT.match(node.content.strip()):
                out.append(d.RawHtml(markup_to_text(node.content).strip(), line))
        elif kind == "table":
            out.append(_table(node, line))
        elif node.children:
            out.extend(_blocks(node.children, line))
    return out


def _inline_of(node: SyntaxTreeNode) -> list[d.Inline]:
    return [
        i for child in node.children if child.type == "inline" for i in _inlines(child.children)
    ]


def _table(node: SyntaxTreeNode, line: int) -> d.Table:
    header: list[list[d.Inline]] = []
    rows: list[list[list[d.Inline]]] = []
    for part in node.children:
        for tr in part.children:
            cells = [_inline_of(cell) for cell in tr.children]
            if part.type == "thead":
                header = cells
            else:
                rows.append(cells)
    return d.Table(header, rows, line)


def read_markdown(text: str) -> d.Document:
    """The document of a Markdown text; YAML front matter, if any, becomes ``front_matter``.

    A fence or raw HTML block that would swallow the rest of the text is closed first
    (:mod:`newsletter.digest.repair`), each repair one note in ``notes``."""
    repaired = repair_markdown(text)
    tokens = _parser().parse(repaired.text)
    if repaired.origin is not None:
        # Lines were added or blanked: every warning names the source's own line.
        for token in tokens:
            if token.map:
                token.map = [repaired.line(token.map[0]) - 1, repaired.line(token.map[1] - 1)]
    tree = SyntaxTreeNode(tokens)
    doc = d.Document(blocks=[], notes=list(repaired.notes))
    nodes = list(tree.children)
    if nodes and nodes[0].type == "front_matter":
        node = nodes.pop(0)
        try:
            data = yaml.safe_load(node.content)
        except yaml.YAMLError:
            data = None
            doc.notes.append((1, "unreadable YAML front matter ignored"))
        if isinstance(data, dict):
            doc.front_matter = {str(k): v for k, v in data.items()}
    doc.blocks = _blocks(nodes, 1)
    return doc

"""HTML (a feed entry's ``content:encoded``, a JSON body that holds HTML) to the intermediate
document, with lxml.

Headings, paragraphs, lists, quotes, ``<pre>``, tables and rules map to the document's blocks;
``<div>``-like containers are read through. Inline ``<strong>``/``<b>``, ``<em>``/``<i>``,
``<code>``, ``<a>``, ``<img>`` and ``<br>`` are kept; other inline tags give their text. Script,
style and similar elements are dropped with their content, and so are event-handler
attributes (``onerror``): both are reported.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree, html

from newsletter.digest import document as d
from newsletter.text import INVISIBLE

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_CONTAINERS = frozenset(
    {"div", "section", "article", "header", "footer", "main", "aside", "figure", "nav",
     "details", "center", "body", "html", "dl", "dd", "dt", "form", "fieldset"}
)  # fmt: skip
_BLOCKS = frozenset(
    {*_HEADINGS, *_CONTAINERS, "p", "ul", "ol", "li", "blockquote", "pre", "table", "hr",
     "figcaption", "summary", "thead", "tbody", "tr"}
)  # fmt: skip
_SPACE = re.compile(r"[ \t\r\n\f]+")


def _tag(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _line(el: Any, base: int) -> int:
    return base + (el.sourceline or 1) - 1


class _Reader:
    def __init__(self, base_line: int) -> None:
        self.base = base_line

    def handlers(self, el: Any) -> list[d.Inline]:
        return [
            d.Dropped(f"{name} attribute dropped")
            for name in el.attrib
            if name.lower().startswith("on")
        ]

    def inline(self, el: Any) -> list[d.Inline]:
        """``el``'s content (not its tail) as inline nodes."""
        out: list[d.Inline] = self.handlers(el)
        if el.text:
            out.append(d.Text(_SPACE.sub(" ", el.text)))
        for child in el:
            out.extend(self.inline_node(child))
            if child.tail:
                out.append(d.Text(_SPACE.sub(" ", child.tail)))
        return out

    def inline_node(self, el: Any) -> list[d.Inline]:
        tag = _tag(el)
        if not tag:
            return []  # comments, processing instructions
        if tag in INVISIBLE:
            return [d.Dropped(f"<{tag}> element dropped with its content")]
        if tag in ("strong", "b"):
            return [d.Strong(self.inline(el))]
        if tag in ("em", "i"):
            return [d.Emph(self.inline(el))]
        if tag == "code":
            return [*self.handlers(el), d.Code(el.text_content())]
        if tag == "a":
            return [d.Link(href=(el.get("href") or "").strip(), children=self.inline(el))]
        if tag == "img":
            return [
                *self.handlers(el),
                d.Img(src=(el.get("src") or "").strip(), alt=el.get("alt") or ""),
            ]
        if tag == "br":
            return [d.Break()]
        if tag in _BLOCKS:
            # A block inside an inline context (a <p> in an <a>): its text, on its own line.
            return [d.Break(), *self.inline(el), d.Break()]
        return self.inline(el)

    def blocks(self, el: Any) -> list[d.Block]:
        """``el``'s content as blocks: inline runs become paragraphs."""
        out: list[d.Block] = []
        run: list[d.Inline] = self.handlers(el)
        run_line = _line(el, self.base)

        def flush() -> None:
            nonlocal run
            if any(not isinstance(n, d.Text) or n.text.strip() for n in run):
                out.append(d.Para(_trim(run), run_line))
            run = []

        if el.text:
            run.append(d.Text(_SPACE.sub(" ", el.text)))
        for child in el:
            tag = _tag(child)
            if tag in _BLOCKS:
                flush()
                out.extend(self.block(child))
                run_line = _line(child, self.base)
            elif tag in INVISIBLE:
                flush()
                out.append(
                    d.Para(
                        [d.Dropped(f"<{tag}> element dropped with its content")],
                        _line(child, self.base),
                    )
                )
            else:
                if not run:
                    run_line = _line(child, self.base)
                run.extend(self.inline_node(child))
            if child.tail:
                run.append(d.Text(_SPACE.sub(" ", child.tail)))
        flush()
        return out

    def block(self, el: Any) -> list[d.Block]:
        tag = _tag(el)
        line = _line(el, self.base)
        if tag in _HEADINGS:
            return [d.Heading(_HEADINGS[tag], _trim(self.inline(el)), line)]
        if tag in ("p", "figcaption", "summary"):
            inl = _trim(self.inline(el))
            return [d.Para(inl, line)] if inl else []
        if tag in ("ul", "ol"):
            ordered = tag == "ol"
            number = _int(el.get("start"), 1)
            items = []
            for li in el:
                if _tag(li) != "li":
                    continue
                number = _int(li.get("value"), number)
                items.append(
                    d.ListItem(self.blocks(li), _line(li, self.base), number if ordered else None)
                )
                number += 1
            return [d.ListBlock(ordered, items, line)] if items else []
        if tag == "li":
            return [d.ListBlock(False, [d.ListItem(self.blocks(el), line)], line)]
        if tag == "blockquote":
            return [d.Quote(self.blocks(el), line)]
        if tag == "pre":
            return [d.CodeBlock(el.text_content().strip("\n") + "\n", line)]
        if tag == "hr":
            return [d.Rule(line)]
        if tag == "table":
            return [self.table(el, line)]
        return self.blocks(el)

    def table(self, el: Any, line: int) -> d.Table:
        header: list[list[d.Inline]] = []
        rows: list[list[list[d.Inline]]] = []
        for tr in el.iter("tr"):
            cells = [_trim(self.inline(c)) for c in tr if _tag(c) in ("td", "th")]
            if not header and not rows and all(_tag(c) == "th" for c in tr if _tag(c)):
                header = cells
            else:
                rows.append(cells)
        if not header and rows:
            header = [[] for _ in rows[0]]
        return d.Table(header, rows, line)


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _trim(inlines: list[d.Inline]) -> list[d.Inline]:
    """Leading and trailing white space and line breaks dropped."""
    out = list(inlines)
    while out and (
        isinstance(out[0], d.Break) or (isinstance(out[0], d.Text) and not out[0].text.strip())
    ):
        out.pop(0)
    while out and (
        isinstance(out[-1], d.Break) or (isinstance(out[-1], d.Text) and not out[-1].text.strip())
    ):
        out.pop()
    if out and isinstance(out[0], d.Text):
        out[0] = d.Text(out[0].text.lstrip())
    if out and isinstance(out[-1], d.Text):
        out[-1] = d.Text(out[-1].text.rstrip())
    return out


def read_html(markup: str, *, base_line: int = 1) -> d.Document:
    """The document of an HTML fragment; an unreadable one gives an empty document."""
    try:
        root = html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return d.Document(blocks=[])
    return d.Document(blocks=_Reader(base_line).blocks(root))


def looks_like_html(text: str) -> bool:
    """True when ``text`` is HTML rather than Markdown: it starts with a block tag."""
    head = text.lstrip()[:200].lower()
    return bool(
        re.match(
            r"<(p|div|h[1-6]|ul|ol|li|section|article|table|blockquote|pre|img|br|span|strong|b|a)\b",
            head,
        )
    )

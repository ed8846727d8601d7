"""Document blocks back to Markdown, sanitized: what item bodies and text blocks store.

Only absolute http(s) and mailto links keep their link (in-page ``#anchors`` lose it
silently: they point into a page the email is not); any other link keeps its text and is
reported, and so is a link whose URL the source itself cut with "…". Images are taken out of
the text into the caller's list (a broken image URL is reported and dropped). An image inside
a link keeps both: in an item (``link_images``) the target becomes one of the item's links,
which its images lead to; elsewhere the link stays in the text, labelled with the image's alt
text. Dropped raw HTML and scripts are reported. Text is escaped so that it reads back as the
same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from pydantic import ValidationError

from newsletter.digest import document as d
from newsletter.digest.model import Image, Link, check_url

Warn = Callable[[int, str], None]

_ESCAPE = re.compile(r"([\\`*_\[\]<>])")
_ENTITY = re.compile(r"&(?=#?[a-zA-Z0-9]+;)")
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)]|~~~)", re.MULTILINE)


_CUT = re.compile(r"…|%E2%80%A6", re.IGNORECASE)


def cut_url(url: str) -> bool:
    """True for a URL the source itself cut short with "…" (it leads nowhere)."""
    return _CUT.search(url) is not None


def web_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL (and not one cut with "…"), else None."""
    if cut_url(url):
        return None
    try:
        return check_url(url)
    except ValueError:
        return None


def _escape(text: str) -> str:
    text = _ESCAPE.sub(r"\\\1", text)
    return _ENTITY.sub("\\&", text)


def _line_starts(text: str) -> str:
    """Text that would start a heading, quote, list or rule at a line start is escaped."""
    return _LINE_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if not m[2][0].isdigit() else f"{m[1]}{m[2][:-1]}\\{m[2][-1]}",
        text,
    )


def _md_url(url: str) -> str:
    url = url.replace("<", "%3C").replace(">", "%3E")
    return f"<{url}>" if any(c in url for c in "()") else url


@dataclass
class Writer:
    """Writes blocks of one place (an item, a text block) and collects its images."""

    warn: Warn
    images: list[Image] = field(default_factory=list)
    #: In an item: an image's link becomes one of the item's links (``image_links``).
    link_images: bool = False
    image_links: list[Link] = field(default_factory=list)

    def image(self, node: d.Img, line: int) -> None:
        src = node.src.strip()
        try:
            self.images.append(Image(url=src, alt=node.alt))
        except ValidationError:
            shown = src[:80] if src else "(empty)"
            self.warn(line, f"image {shown!r} dropped: not an absolute http(s) URL")

    def inline(self, nodes: list[d.Inline], line: int) -> str:
        """Inline nodes as Markdown that reads back as the same text."""
        return _line_starts(self._inline(nodes, line))

    def _inline(self, nodes: list[d.Inline], line: int) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, d.Text):
                out.append(_escape(node.text))
            elif isinstance(node, d.Code):
                text = node.text.replace("\n", " ")
                ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
                pad = " " if text.startswith("`") or text.endswith("`") else ""
                out.append(f"{ticks}{pad}{text}{pad}{ticks}" if text else "")
            elif isinstance(node, d.Strong | d.Emph):
                mark = "**" if isinstance(node, d.Strong) else "*"
                inner = self._inline(node.children, line)
                core = inner.strip()
                if core:
                    lead = inner[: len(inner) - len(inner.lstrip())]
                    trail = inner[len(inner.rstrip()) :]
                    out.append(f"{lead}{mark}{core}{mark}{trail}")
                else:
                    out.append(inner)
            elif isinstance(node, d.Link):
                out.append(self.link(node, line))
            elif isinstance(node, d.Img):
                self.image(node, line)
            elif isinstance(node, d.Break):
                out.append("\\\n")
            elif isinstance(node, d.Dropped):
                self.warn(line, node.what)
        text = "".join(out)
        return re.sub(r"(\\\n\s*)+$", "", re.sub(r"^(\s*\\\n)+", "", text))

    def link(self, node: d.Link, line: int) -> str:
        """The link as Markdown, or its text (reported) when it cannot stay a link."""
        first_image = len(self.images)
        label = self._inline(node.children, line).strip()
        href = node.href.strip()
        if href.startswith("#"):
            return label  # an in-page anchor (quick navigation): the text stays
        if cut_url(href):
            shown = unquote(href)
            self.warn(line, f"link {shown[:80]!r} cut short by the source (…): kept as text")
            return label or _escape(shown)
        url = web_url(href) or (href if re.match(r"mailto:[^\s@]+@[^\s@]+$", href, re.I) else None)
        if url is None:
            shown = href[:80] if href else "(empty)"
            self.warn(line, f"link {shown!r} dropped: not an absolute http(s) URL; its text kept")
            return label
        images = self.images[first_image:]
        if images:
            # A linked image ([![alt](src)](target)): the image is listed, its target kept,
            # as a link of the item (where its images lead) or as a text link.
            alt = " ".join(i.alt for i in images if i.alt)
            if self.link_images and web_url(url) is not None:
                if all(link.url != url for link in self.image_links):
                    text = " ".join(d.inline_text(node.children).split()) or alt
                    self.image_links.append(Link(text=text, url=url))
                if not label:
                    return ""
            label = label or _escape(alt)
        return f"[{label or _escape(url)}]({_md_url(url)})"

    def blocks(self, blocks: list[d.Block]) -> str:
        parts = [self.block(b) for b in blocks]
        return "\n\n".join(p for p in parts if p.strip())

    def block(self, block: d.Block) -> str:
        if isinstance(block, d.Para):
            return self.inline(block.inlines, block.line).strip()
        if isinstance(block, d.Heading):
            text = self.inline(block.inlines, block.line).strip()
            return f"**{text}**" if text else ""
        if isinstance(block, d.ListBlock):
            lines: list[str] = []
            for li in block.items:
                marker = f"{li.number}. " if block.ordered and li.number is not None else "- "
                body = self.blocks(li.blocks) or ""
                pad = " " * len(marker)
                lines.append(marker + body.replace("\n", "\n" + pad))
            return "\n".join(lines)
        if isinstance(block, d.Quote):
            inner = self.blocks(block.blocks)
            return "\n".join(f"> {ln}" if ln else ">" for ln in inner.splitlines())
        if isinstance(block, d.CodeBlock):
            text = block.text.rstrip("\n")
            fence = "`" * max(3, max((len(r) + 1 for r in re.findall(r"`{3,}", text)), default=3))
            return f"{fence}\n{text}\n{fence}" if text.strip() else ""
        if isinstance(block, d.Table):
            width = max([len(block.header), *(len(r) for r in block.rows)], default=0)
            if width == 0:
                return ""

            def row(cells: list[list[d.Inline]]) -> str:
                texts = [
                    self.inline(c, block.line).replace("\n", " ").replace("\\\n", " ")
                    for c in cells
                ]
                texts += [""] * (width - len(texts))
                return "| " + " | ".join(t.replace("|", "\\|") for t in texts) + " |"

            out = [row(block.header), "|" + "---|" * width]
            out += [row(r) for r in block.rows]
            return "\n".join(out)
        if isinstance(block, d.Rule):
            return "---"
        if isinstance(block, d.RawHtml):
            if block.text:
                self.warn(block.line, "raw HTML kept as plain text")
                return _escape(block.text)
            self.warn(block.line, "raw HTML dropped")
            return ""
        return ""

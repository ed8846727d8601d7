"""The one mapping from an intermediate document to a digest.

Structure decides, not line shapes:

- the title is the first heading (or the front matter's ``title``), its words after the
  date the headline; a file with no title line (it starts with its summary) takes its day
  as title;
- the day is, in this order, ``--date``, the front matter's ``date``, the title, the first
  headings, the file name and its folders (:mod:`newsletter.digest.dates`: any common form,
  a month-day completed with the year of the path); places that disagree give one warning
  and the more specific day;
- a quote or paragraph right under the title is the tagline;
- a heading naming a summary (摘要, summary, ...) introduces the summary: the fenced block,
  quote or paragraphs under it;
- any other heading opens a section (its level decides sub-sections), unless it is a
  numbered heading (``### 1. [title](url)``: an item, whose body is what follows it) or
  only a link (a call to action: a text block);
- in a section, each entry of a numbered list is an item; every other block is a text block.

Nothing that is not broken is lost. A broken part (a link that is not http(s), a broken
image URL, raw HTML, an empty section or item) is dropped or kept as plain text and reported
through ``warn``; a document with no day raises :class:`InputError`, and one that is no
digest at all (a site's about or privacy page, a shopping list) :class:`NotADigestError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from newsletter.digest import document as d
from newsletter.digest.dates import DayText, choose_day, day_clues
from newsletter.digest.errors import NotADigestError
from newsletter.digest.mdwrite import Writer, web_url
from newsletter.digest.model import Digest, DigestItem, Link, Section, TextBlock
from newsletter.digest.text import find_date, headline_of, item_title, source_host, summary_lines
from newsletter.errors import InputError

Warn = Callable[[int, str], None]

_SUMMARY = re.compile(r"摘要|概要|summary|tl;\s*dr", re.IGNORECASE)
_NUMBERED = re.compile(r"^\s*(\d{1,4})\s*[.)、．]\s*(\S.*)$", re.DOTALL)
_TITLE_MAX = 300
#: The headings that may carry the day: the first few, near the top (a digest's later
#: headings are its news, whose dates are other days).
_DAY_HEADINGS = 3
_DAY_BLOCKS = 12
#: Pages a digest site has besides its days; refused as "not a digest" when they name no day.
_OTHER_PAGE = re.compile(
    r"^\W*(about|contact|privacy|terms|cookies?\b|imprint|impressum|legal|disclaimer|faq\b"
    r"|licen[cs]e|readme\b|changelog|contributing|search|tags?\b|categories|archives?\b"
    r"|links\b|friends\b|404\b"
    r"|关于|联系|隐私|条款|服务条款|使用条款|用户协议|免责|声明|版权|搜索|标签|分类|归档|友链|友情链接)",
    re.IGNORECASE,
)
#: Words that mark a digest's title, file name or headings.
_DIGEST_WORD = re.compile(r"日报|日刊|周报|周刊|资讯|早报|daily|digest|newsletter|news", re.I)


@dataclass
class _Draft:
    heading: str
    level: int
    line: int
    depth: int = 0
    url: str | None = None
    blocks: list[DigestItem | TextBlock] = field(default_factory=list)


@dataclass
class _ItemDraft:
    """A numbered heading's item, open until the next heading."""

    number: int
    title: str
    line: int
    links: list[Link]
    body: list[d.Block] = field(default_factory=list)


def _plain(inlines: list[d.Inline]) -> str:
    return " ".join(d.inline_text(inlines).split())


def _only_link(inlines: Sequence[d.Inline]) -> d.Link | None:
    """The link when the inlines are one link and nothing else (bold around it allowed)."""
    nodes = [n for n in inlines if not (isinstance(n, d.Text) and not n.text.strip())]
    if len(nodes) == 1 and isinstance(nodes[0], d.Strong):
        return _only_link(nodes[0].children)
    return nodes[0] if len(nodes) == 1 and isinstance(nodes[0], d.Link) else None


def _split_link(inlines: Sequence[d.Inline]) -> d.Link | None:
    """The link of a link-list entry: one link, maybe with images and line breaks around."""
    rest = [n for n in inlines if not isinstance(n, d.Img | d.Break)]
    return _only_link(rest)


def _links_in(inlines: Sequence[d.Inline]) -> list[d.Link]:
    out: list[d.Link] = []
    for n in inlines:
        if isinstance(n, d.Link):
            out.append(n)
        elif isinstance(n, d.Strong | d.Emph):
            out.extend(_links_in(n.children))
    return out


def _image_node(node: d.Inline) -> bool:
    """An image, a line break, white space, or a link around images only."""
    if isinstance(node, d.Link):
        return bool(node.children) and all(_image_node(n) for n in node.children)
    return isinstance(node, d.Img | d.Break) or (isinstance(node, d.Text) and not node.text.strip())


def _images_only(block: d.Block) -> bool:
    return isinstance(block, d.Para) and all(_image_node(n) for n in block.inlines)


def _new_links(links: Sequence[Link], more: Sequence[Link]) -> list[Link]:
    """The links of ``more`` whose URL is not in ``links`` yet."""
    seen = {link.url for link in links}
    return [link for link in more if link.url not in seen]


def _link_list(block: d.Block) -> bool:
    """A list whose every entry is one link (maybe followed by images): the item's links."""
    if not isinstance(block, d.ListBlock) or not block.items:
        return False
    for li in block.items:
        paras = [b for b in li.blocks if not _images_only(b)]
        if (
            len(paras) != 1
            or not isinstance(paras[0], d.Para)
            or _split_link(paras[0].inlines) is None
        ):
            return False
    return True


def _page_name(source: str) -> str:
    """A file's name without its suffix ("about" of content/en/about.md); the folder's for an
    index page (content/en/privacy/index.md)."""
    parts = [p for p in re.split(r"[/\\]", source.split("?")[0]) if p]
    if not parts:
        return ""
    name = parts[-1].rsplit(".", 1)[0]
    if name.lower() in ("index", "_index") and len(parts) > 1:
        name = parts[-2]
    return name


def _near_path(source: str) -> str:
    """The last folders and the file name of ``source`` (a user's home may be "news")."""
    return "/".join(re.split(r"[/\\]", source.split("?")[0])[-3:])


def _looks_like_a_digest(blocks: Sequence[d.Block], names: Sequence[str]) -> bool:
    """A summary heading, a numbered item, or a digest word in a title, heading or path."""
    if any(_DIGEST_WORD.search(n) for n in names if n):
        return True
    for b in blocks:
        if isinstance(b, d.ListBlock) and b.ordered:
            return True
        if isinstance(b, d.Heading):
            text = _plain(b.inlines)
            if _NUMBERED.match(text) or _DIGEST_WORD.search(text):
                return True
            if _SUMMARY.search(text) and len(text) <= 40:
                return True
    return False


def _parse_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        return find_date(value)
    return None


class Mapper:
    """Maps one document; ``warn(line, message)`` receives every repair."""

    def __init__(
        self, doc: d.Document, *, warn: Warn, drop: Sequence[re.Pattern[str]] = ()
    ) -> None:
        self.doc = doc
        self.warn = warn
        self.drop = drop
        self.sections: list[_Draft] = []
        self.levels: list[int] = []
        self.item: _ItemDraft | None = None
        self.summary: list[str] = []
        self.in_summary = False
        self.summary_done = False
        self.dropped: list[str] = []

    # -- the walk ---------------------------------------------------------------------------

    def digest(self, *, source: str, date: dt.date | None) -> Digest:
        """The digest; :class:`InputError` when the document is none (or has no day), and
        :class:`NotADigestError` when it is a page of another kind."""
        fm = self.doc.front_matter
        fm_title = " ".join(str(fm.get("title") or fm.get("linkTitle") or "").split())
        fm_date = _parse_date(fm.get("date"))
        blocks = list(self.doc.blocks)
        title = fm_title
        title_line = 1
        texts: list[DayText] = []
        if blocks and isinstance(blocks[0], d.Heading):
            first = _plain(blocks[0].inlines)
            dated = find_date(first) is not None
            # A file that starts with its summary heading ("## 今日摘要") has no title line.
            summary = _SUMMARY.search(first) is not None and len(first) <= 40
            if dated or (not fm_title and not summary):
                heading = blocks.pop(0)
                assert isinstance(heading, d.Heading)
                self._report_dropped(heading.inlines, heading.line)
                title, title_line = first, heading.line
                if fm_title:  # displaced, it still names a day ("06-14-Daily")
                    texts.append(DayText("the front matter's title", fm_title, 1, lead=True))
        if title:
            texts.insert(0, DayText("the title", title, title_line, lead=True))
        # A numbered heading is a news item: a date in it is the news's, not the digest's.
        headings = [
            b
            for b in blocks[:_DAY_BLOCKS]
            if isinstance(b, d.Heading) and not _NUMBERED.match(_plain(b.inlines))
        ]
        texts += [DayText("a heading", _plain(h.inlines), h.line) for h in headings[:_DAY_HEADINGS]]
        document_day = choose_day(day_clues(front_matter=fm_date, texts=texts, source=""))
        found = choose_day(day_clues(front_matter=fm_date, texts=texts, source=source))
        self._refuse_other_pages(
            [title, fm_title, _page_name(source)], dated=document_day is not None, source=source
        )
        if not title and not _looks_like_a_digest(self.doc.blocks, [_near_path(source)]):
            raise NotADigestError(
                "not a digest: no title (a first heading with the date, or front matter)",
                source=source,
            )
        if date is not None:
            day = date
        elif found is not None:
            day = found.date
            if found.conflict:
                self.warn(found.line or title_line, found.conflict)
        elif not _looks_like_a_digest(self.doc.blocks, [title, fm_title, _near_path(source)]):
            raise NotADigestError(
                "not a digest: no date anywhere, and no summary, numbered items or digest title",
                source=source,
            )
        else:
            raise InputError(
                "no date in the title, its first headings or the file name: give one with "
                "--date YYYY-MM-DD",
                source=source,
                line=title_line,
            )
        if not title:
            # Some sites drop the title line (the day is in the file name): the day is one.
            title = day.isoformat()
            self.warn(1, f"no title line: the title is the day, {title}")
        tagline = ""
        if blocks and isinstance(blocks[0], d.Quote | d.Para) and not self._has_links(blocks[0]):
            tagline = " ".join(d.block_text(blocks.pop(0)).split())
        for block in blocks:
            self.block(block)
        self.close_item()
        sections = self.finish()
        if not any(s.blocks for s in sections):
            raise NotADigestError(
                "not a digest: no sections, items or text under the title", source=source
            )
        return Digest(
            date=day,
            title=title[:_TITLE_MAX],
            headline=headline_of(title),
            tagline=tagline,
            summary="\n".join(summary_lines(self.summary)),
            sections=sections,
        )

    def _refuse_other_pages(self, names: Sequence[str], *, dated: bool, source: str) -> None:
        """An about, contact, privacy or terms page that names no day is not a digest."""
        if dated:
            return
        for name in names:
            if name and (m := _OTHER_PAGE.match(name)):
                raise NotADigestError(
                    f"not a digest: {name[:60]!r} is a site page ({m[1].lower()}), with no day",
                    source=source,
                )

    def _has_links(self, block: d.Block) -> bool:
        inlines: list[d.Inline] = []
        if isinstance(block, d.Para):
            inlines = block.inlines
        elif isinstance(block, d.Quote):
            inlines = [i for b in block.blocks if isinstance(b, d.Para) for i in b.inlines]
        return any(isinstance(n, d.Img) for n in inlines) or any(
            web_url(link.href) for link in _links_in(inlines)
        )

    def _report_dropped(self, inlines: list[d.Inline], line: int) -> None:
        for n in inlines:
            if isinstance(n, d.Dropped):
                self.warn(line, n.what)
            elif isinstance(n, d.Strong | d.Emph | d.Link):
                self._report_dropped(n.children, line)

    def block(self, block: d.Block) -> None:
        if isinstance(block, d.Heading):
            self.heading(block)
        elif self.in_summary:
            self.summary_block(block)
        elif self.item is not None:
            self.item.body.append(block)
        elif isinstance(block, d.ListBlock) and block.ordered:
            for li in block.items:
                self.list_item(li)
        elif isinstance(block, d.Rule | d.Para) and not self._text_worth(block):
            if isinstance(block, d.Para):
                self._report_dropped(block.inlines, block.line)
        elif (
            _images_only(block)
            and self.section_blocks()
            and isinstance(self.section_blocks()[-1], DigestItem)
        ):
            last = self.section_blocks()[-1]
            assert isinstance(last, DigestItem)
            assert isinstance(block, d.Para)
            w = Writer(self.warn, link_images=True)
            w.inline(block.inlines, block.line)
            last.images.extend(w.images)
            last.links.extend(_new_links(last.links, w.image_links))
        else:
            self.text(block)

    def _text_worth(self, block: d.Block) -> bool:
        if isinstance(block, d.Rule):
            return True  # kept, unless it ends up just before a heading (see finish)
        assert isinstance(block, d.Para)
        return any(
            not isinstance(n, d.Dropped | d.Break)
            and not (isinstance(n, d.Text) and not n.text.strip())
            for n in block.inlines
        )

    def heading(self, h: d.Heading) -> None:
        self.close_item()
        self.in_summary = False
        text = _plain(h.inlines)
        self._report_dropped(h.inlines, h.line)
        if not self.summary_done and _SUMMARY.search(text) and len(text) <= 40:
            self.in_summary = True
            self.summary_done = True
            return
        if (m := _NUMBERED.match(text)) is not None:
            links: list[Link] = []
            w = Writer(self.warn)
            for link in _links_in(h.inlines):
                if (url := web_url(link.href)) is not None:
                    links.append(Link(text=_plain(link.children), url=url))
                else:
                    w.link(link, h.line)
            self.item = _ItemDraft(int(m[1]), m[2].strip(), h.line, links)
            return
        if _only_link(h.inlines) is not None:
            self.text(d.Para(h.inlines, h.line))  # a call to action, not a section
            return
        url = None
        w = Writer(self.warn)
        for link in _links_in(h.inlines):
            if (ok := web_url(link.href)) is not None and url is None:
                url = ok
            elif ok is None:
                w.link(link, h.line)
        while self.levels and self.levels[-1] >= h.level:
            self.levels.pop()
        draft = _Draft(
            heading=text, level=h.level, line=h.line, depth=min(len(self.levels), 5), url=url
        )
        self.levels.append(h.level)
        self.sections.append(draft)

    def summary_block(self, block: d.Block) -> None:
        if isinstance(block, d.Rule):
            return
        if self._has_links(block) or isinstance(block, d.Table):
            # A summary never carries links: whatever has them is content, kept as such.
            self.in_summary = False
            self.block(block)
            return
        self.summary.extend(d.block_text(block).splitlines())

    def section_blocks(self) -> list[DigestItem | TextBlock]:
        if not self.sections:
            self.sections.append(_Draft(heading="", level=7, line=1))
        return self.sections[-1].blocks

    def text(self, block: d.Block) -> None:
        w = Writer(self.warn)
        markdown = w.block(block)
        if markdown.strip() or w.images:
            self.section_blocks().append(TextBlock(markdown=markdown, images=w.images))

    def list_item(self, li: d.ListItem) -> None:
        item = self.make_item(li.blocks, number=li.number, title=None, links=[], line=li.line)
        if item is not None:
            self.section_blocks().append(item)

    def close_item(self) -> None:
        if self.item is None:
            return
        it, self.item = self.item, None
        blocks = list(it.body)
        while blocks and isinstance(blocks[-1], d.Rule):
            blocks.pop()
        item = self.make_item(
            blocks, number=it.number, title=it.title, links=it.links, line=it.line
        )
        if item is not None:
            self.section_blocks().append(item)

    def make_item(
        self,
        blocks: list[d.Block],
        *,
        number: int | None,
        title: str | None,
        links: list[Link],
        line: int,
    ) -> DigestItem | None:
        w = Writer(self.warn, link_images=True)
        parts: list[str] = []
        links = list(links)
        for block in blocks:
            if _link_list(block):
                assert isinstance(block, d.ListBlock)
                for li in block.items:
                    for b in li.blocks:
                        assert isinstance(b, d.Para)
                        link = _split_link(b.inlines)
                        w.inline([n for n in b.inlines if isinstance(n, d.Img)], b.line)
                        if link is None:
                            continue
                        url = web_url(link.href)
                        if url is None:
                            if not link.href.startswith("#"):
                                w.link(link, b.line)
                            parts.append("- " + w.inline(link.children, b.line))
                            continue
                        label = " ".join(w.inline(link.children, b.line).split())
                        links.append(Link(text=_plain(link.children) or label, url=url))
            else:
                text = w.block(block)
                if text.strip():
                    parts.append(text)
        body = "\n\n".join(parts).strip()
        links += _new_links(links, w.image_links)
        title = title or (item_title(body) if body else "") or (links[0].text if links else "")
        title = title or (w.images[0].alt if w.images else "")
        if not title.strip():
            self.warn(line, f"empty item{f' {number}' if number is not None else ''} dropped")
            return None
        try:
            return DigestItem(
                number=number,
                title=title[:_TITLE_MAX],
                body=body,
                links=links,
                images=w.images,
                source=source_host([link.url for link in links], body),
            )
        except ValidationError as exc:  # a field the model refuses (cannot happen for text)
            self.warn(line, f"item dropped: {exc.errors()[0]['msg']}")
            return None

    # -- the end ----------------------------------------------------------------------------

    def finish(self) -> list[Section]:
        drafts = self.sections
        out: list[Section] = []
        skip_depth: int | None = None
        for n, s in enumerate(drafts):
            if skip_depth is not None and s.depth > skip_depth:
                continue
            skip_depth = None
            if s.heading and any(p.search(s.heading) for p in self.drop):
                self.dropped.append(s.heading)
                skip_depth = s.depth
                continue
            while (
                s.blocks
                and isinstance(s.blocks[-1], TextBlock)
                and s.blocks[-1].markdown == "---"
                and not s.blocks[-1].images
            ):
                s.blocks.pop()
            while (
                s.blocks
                and isinstance(s.blocks[0], TextBlock)
                and s.blocks[0].markdown == "---"
                and not s.blocks[0].images
            ):
                s.blocks.pop(0)
            has_children = n + 1 < len(drafts) and drafts[n + 1].depth > s.depth
            if not s.blocks and not has_children:
                self.warn(s.line, f"empty section {s.heading!r} dropped")
                continue
            out.append(Section(heading=s.heading, depth=s.depth, url=s.url, blocks=s.blocks))
        # Headings whose sub-sections were all dropped have nothing left under them; from the
        # end, so that a heading over such a heading goes too.
        kept: list[Section] = []  # in reverse: kept[-1] is the next section kept
        for sec in reversed(out):
            if not sec.blocks and not (kept and kept[-1].depth > sec.depth):
                continue
            kept.append(sec)
        return kept[::-1]


def to_digest(
    doc: d.Document,
    *,
    source: str,
    warn: Warn,
    date: dt.date | None = None,
    drop: Sequence[re.Pattern[str]] = (),
) -> tuple[Digest, list[str]]:
    """The digest of ``doc`` and the headings of the sections dropped by ``drop``."""
    for line, message in doc.notes:
        warn(line, message)
    mapper = Mapper(doc, warn=warn, drop=drop)
    return mapper.digest(source=source, date=date), mapper.dropped


__all__ = ["Mapper", "to_digest"]

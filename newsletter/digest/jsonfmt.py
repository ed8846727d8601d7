"""The JSON digest format: one digest object, a list of them, or ``{"digests": [...]}``.

The schema is :class:`newsletter.digest.model.Digest` (see the README). Item bodies and text
blocks are Markdown, or HTML when they start with a tag; either is read into the document
and written back sanitized, like an imported Markdown file, with the same warnings (named by
the JSON field). The earlier form (sections of ``name`` and ``items``) is still read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from newsletter.digest.html_reader import looks_like_html, read_html
from newsletter.digest.md_reader import read_markdown
from newsletter.digest.mdwrite import Writer
from newsletter.digest.model import Digest, DigestItem, Image, TextBlock
from newsletter.errors import InputError

Report = Callable[[str], None]
_DIGESTS = TypeAdapter(list[Digest])
_PLAIN_FIELDS = frozenset({"title", "headline", "tagline", "heading", "text", "alt", "source"})


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "document"


def _upgrade(doc: Any) -> Any:
    """Sections in the earlier form ``{"name", "items"}`` become ``{"heading", "blocks"}``;
    blocks without ``kind`` get it from their fields."""
    if not isinstance(doc, dict) or not isinstance(doc.get("sections"), list):
        return doc
    sections = []
    for sec in doc["sections"]:
        if isinstance(sec, dict) and "blocks" not in sec and ("name" in sec or "items" in sec):
            sec = {k: v for k, v in sec.items() if k not in ("name", "items")} | {
                "heading": sec.get("name", ""),
                "blocks": sec.get("items"),
            }
        if isinstance(sec, dict) and isinstance(sec.get("blocks"), list):
            blocks = []
            for b in sec["blocks"]:
                if isinstance(b, dict) and "kind" not in b:
                    b = {**b, "kind": "text" if "markdown" in b else "item"}
                blocks.append(b)
            sec = {**sec, "blocks": blocks}
        sections.append(sec)
    return {**doc, "sections": sections}


def _markup_notes(value: Any, path: tuple[int | str, ...], report: Report) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            if key in _PLAIN_FIELDS and isinstance(sub, str) and "<" in sub and ">" in sub:
                report(f"{_where((*path, key))}: markup removed from the text")
            else:
                _markup_notes(sub, (*path, key), report)
    elif isinstance(value, list):
        for n, sub in enumerate(value):
            _markup_notes(sub, (*path, n), report)


def _sanitize(text: str, *, warn: Callable[[int, str], None]) -> tuple[str, list[Image]]:
    """``text`` (Markdown, or HTML) as sanitized Markdown, and the images taken out of it."""
    doc = read_html(text) if looks_like_html(text) else read_markdown(text)
    w = Writer(warn)
    return w.blocks(doc.blocks), w.images


def _at(place: str, report: Report) -> Callable[[int, str], None]:
    def warn(_line: int, message: str) -> None:
        report(f"{place}: {message}")

    return warn


def _clean(digest: Digest, *, where: str, report: Report) -> Digest:
    sections = []
    for s_n, section in enumerate(digest.sections):
        blocks: list[DigestItem | TextBlock] = []
        for b_n, block in enumerate(section.blocks):
            field = "body" if isinstance(block, DigestItem) else "markdown"
            place = f"{where}sections[{s_n}].blocks[{b_n}].{field}"
            text, images = _sanitize(
                block.body if isinstance(block, DigestItem) else block.markdown,
                warn=_at(place, report),
            )
            if isinstance(block, DigestItem):
                blocks.append(
                    block.model_copy(update={"body": text, "images": block.images + images})
                )
            elif text.strip() or block.images or images:
                blocks.append(
                    block.model_copy(update={"markdown": text, "images": block.images + images})
                )
        sections.append(section.model_copy(update={"blocks": blocks}))
    return digest.model_copy(update={"sections": sections})


def parse_json(
    text: str, *, source: str, report: Report, date: dt.date | None = None
) -> list[Digest]:
    """Validate a JSON digest document; errors name the JSON line or the field path."""
    try:
        doc: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", source=source, line=exc.lineno) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to be a digest", source=source) from None
    if isinstance(doc, dict) and "digests" in doc:
        doc = doc["digests"]
    elif isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list) or not doc:
        raise InputError("not a digest: expected an object or a non-empty list", source=source)
    doc = [_upgrade(one) for one in doc]
    if date is not None and len(doc) == 1 and isinstance(doc[0], dict):
        doc = [{**doc[0], "date": date.isoformat()}]
    single = len(doc) == 1
    try:
        digests = _DIGESTS.validate_python(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"][1:] if single else err["loc"]
        loc = tuple(p for p in loc if p not in ("item", "text"))  # the union's tags
        raise InputError(f"{_where(loc)}: {err['msg']}", source=source) from None
    except RecursionError:
        raise InputError("JSON nested too deeply to be a digest", source=source) from None

    def note(message: str) -> None:
        report(f"{source}: {message}")

    for n, one in enumerate(doc):
        _markup_notes(one, () if single else (n,), note)
    digests = [
        _clean(dg, where="" if single else f"[{n}].", report=note) for n, dg in enumerate(digests)
    ]
    if date is not None and len(digests) > 1:
        digests = [d for d in digests if d.date == date]
        if not digests:
            raise InputError(f"no digest for {date.isoformat()} in the file", source=source)
    return digests

"""Digest import: read a file (Markdown, RSS/Atom or JSON) into validated :class:`Digest` objects.

:func:`load_digests` is the one entry point. It never writes anything; any problem with the
input raises :class:`~newsletter.errors.InputError` naming the file and line or entry.
"""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

from newsletter.digest.feed import parse_feed
from newsletter.digest.jsonfmt import parse_json
from newsletter.digest.markdown import parse_markdown
from newsletter.digest.model import Digest, DigestItem, Image, Link, Section
from newsletter.errors import InputError

__all__ = [
    "Digest",
    "DigestItem",
    "Image",
    "Link",
    "Section",
    "detect_format",
    "load_digests",
    "parse_digests",
]

_BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
MAX_BYTES = 20 * 1024 * 1024


def decode(data: bytes, *, source: str) -> str:
    """UTF-8 (BOM allowed) or UTF-16 with a BOM; anything else names the line of the bad byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("unreadable UTF-16 text", source=source) from None
    if b"\x00" in data:
        raise InputError("not a text file (it contains NUL bytes)", source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            source=source,
            line=line,
        ) from None


def detect_format(text: str, *, suffix: str = "") -> str:
    """``markdown``, ``json`` or ``feed``, by suffix and then by the first characters."""
    if suffix.lower() in _BY_SUFFIX:
        return _BY_SUFFIX[suffix.lower()]
    head = text.lstrip()[:200]
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<"):
        return "feed"
    if head.startswith("#"):
        return "markdown"
    return "unknown"


def parse_digests(
    data: bytes, *, source: str, suffix: str = "", date: dt.date | None = None
) -> list[Digest]:
    """Parse raw bytes of a digest document of any supported format."""
    if not data.strip():
        raise InputError("empty file", source=source)
    if len(data) > MAX_BYTES:
        raise InputError(f"file too large (over {MAX_BYTES // 1024 // 1024} MB)", source=source)
    text = decode(data, source=source)
    fmt = detect_format(text, suffix=suffix)
    if fmt == "markdown":
        return [parse_markdown(text, source=source, date=date)]
    if fmt == "json":
        return parse_json(text, source=source, date=date)
    if fmt == "feed":
        return parse_feed(text.encode("utf-8"), source=source, date=date)
    raise InputError(
        "unknown format: expected a Markdown digest (.md), an RSS/Atom feed (.xml) or JSON (.json)",
        source=source,
    )


def load_digests(path: Path, *, date: dt.date | None = None) -> list[Digest]:
    """Read and parse the digest file at ``path``."""
    source = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a digest file", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=source) from None
    return parse_digests(data, source=source, suffix=path.suffix, date=date)

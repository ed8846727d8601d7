"""Digest import: read a file (Markdown, RSS/Atom or JSON) into validated :class:`Digest` objects.

:func:`read_digests` (a file) and :func:`parse_source` (bytes) are the entry points. They never
write anything. A broken part of a digest (a bad link, a broken image URL, raw HTML, an empty
section) is repaired or dropped and reported as one warning line in the result; a file that
is no digest at all (no date, no content, binary data) raises
:class:`~newsletter.errors.InputError` naming the file and line or entry.
"""

from __future__ import annotations

import codecs
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.digest.model import Digest, DigestItem, Image, Link, Section, TextBlock
from newsletter.errors import InputError

__all__ = [
    "MAX_BYTES",
    "Digest",
    "DigestItem",
    "Image",
    "Link",
    "ParseResult",
    "Section",
    "TextBlock",
    "detect_format",
    "load_digests",
    "parse_source",
    "read_digests",
]

_BY_SUFFIX = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".json": "json",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
}
#: Larger files are refused. A real digest is 5-20 KB; parsing costs about 40 times the
#: file's size in memory and 3-4 s a MB (bench/README.md), so 1 MB bounds an import at
#: about 45 MB and a few seconds.
MAX_BYTES = 1024 * 1024
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


@dataclass(frozen=True)
class ParseResult:
    """What a file held: its digests, one line per repaired part, and the sections dropped by
    the operator's patterns (NEWSLETTER_DROP_SECTIONS)."""

    digests: list[Digest]
    warnings: list[str] = field(default_factory=list)
    dropped_sections: list[str] = field(default_factory=list)


def decode(data: bytes, *, source: str) -> str:
    """UTF-8 (BOM allowed) or UTF-16 with a BOM; anything else names the line of the bad byte."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("unreadable UTF-16 text", source=source) from None
        if "\x00" in text:
            raise InputError("not a text file (it contains NUL bytes)", source=source)
        return text
    if b"\x00" in data:
        raise InputError("not a text file (it contains NUL bytes)", source=source)
    if len(_BINARY.findall(data[:4096])) > 8:
        raise InputError("not a text file (binary data)", source=source)
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
    if head.startswith(("#", "---")):
        return "markdown"
    return "unknown"


def compile_patterns(patterns: Sequence[str]) -> list[re.Pattern[str]]:
    """Section-heading patterns (case-insensitive regular expressions)."""
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def parse_source(
    data: bytes,
    *,
    source: str,
    suffix: str = "",
    date: dt.date | None = None,
    drop_sections: Sequence[str] = (),
) -> ParseResult:
    """Parse raw bytes of a digest document of any supported format."""
    if not data.strip():
        raise InputError("empty file", source=source)
    if len(data) > MAX_BYTES:
        raise InputError(
            f"file too large: {len(data) / 1024 / 1024:.1f} MB, the limit is "
            f"{MAX_BYTES // 1024 // 1024} MB",
            source=source,
        )
    # The readers are imported here, not with the package: its models are used by every
    # command, markdown-it, lxml and feedparser only by an import.
    from newsletter.digest.feed import parse_feed
    from newsletter.digest.jsonfmt import parse_json
    from newsletter.digest.mapping import to_digest
    from newsletter.digest.md_reader import read_markdown

    text = decode(data, source=source)
    fmt = detect_format(text, suffix=suffix)
    drop = compile_patterns(drop_sections)
    warnings: list[str] = []
    if fmt == "markdown":
        digest, dropped = to_digest(
            read_markdown(text),
            source=source,
            warn=lambda line, message: warnings.append(f"{source}:{line}: {message}"),
            date=date,
            drop=drop,
        )
        return ParseResult([digest], warnings, dropped)
    if fmt == "json":
        digests = parse_json(text, source=source, report=warnings.append, date=date)
        return ParseResult(digests, warnings, [])
    if fmt == "feed":
        digests, dropped = parse_feed(
            text.encode("utf-8"), source=source, date=date, report=warnings.append, drop=drop
        )
        return ParseResult(digests, warnings, dropped)
    raise InputError(
        "unknown format: expected a Markdown digest (.md), an RSS/Atom feed (.xml) or JSON (.json)",
        source=source,
    )


def read_digests(
    path: Path, *, date: dt.date | None = None, drop_sections: Sequence[str] = ()
) -> ParseResult:
    """Read and parse the digest file at ``path``."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(
                f"file too large: {size / 1024 / 1024:.1f} MB, the limit is "
                f"{MAX_BYTES // 1024 // 1024} MB",
                source=source,
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a digest file", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=source) from None
    return parse_source(
        data, source=source, suffix=path.suffix, date=date, drop_sections=drop_sections
    )


def load_digests(path: Path, *, date: dt.date | None = None) -> list[Digest]:
    """The digests of a file, warnings left out (:func:`read_digests` has them)."""
    return read_digests(path, date=date).digests

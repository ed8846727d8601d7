"""Text helpers shared by the digest parsers: dates, sentences, titles."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from newsletter.digest import dates
from newsletter.text import markdown_to_text

_HEADLINE_SEP = " \t-–—|:：,，·・"
_NOT_A_HEADLINE = re.compile(r"(日刊|日报|周刊|daily|digest|newsletter)?", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[。！？!?])")
TITLE_MAX = 120
TITLE_MIN = 12


_INLINE_URL = re.compile(r"(?<!!)\[[^\]]*\]\((https?://[^)\s]+)\)")


def source_host(link_urls: list[str], body: str) -> str:
    """Where an item comes from: the host of its first link, or of its first inline link."""
    url = link_urls[0] if link_urls else None
    if url is None and (m := _INLINE_URL.search(body)):
        url = m[1]
    return (urlsplit(url).hostname or "") if url else ""


def find_date(text: str) -> dt.date | None:
    """The first valid calendar date written like 2025-08-14, 2026/1/20, 2025年8月14日 or
    June 14, 2025 (:mod:`newsletter.digest.dates` has every form)."""
    return dates.find_date(text)


def headline_of(title: str) -> str:
    """The title's words after its date ("AI科技日报-2025-08-14 AI模型大逆转！" → "AI模型大逆转！");
    empty when there is no date or only a word like 日刊 follows it."""
    span = next(dates.date_spans(title), None)
    if span is None:
        return ""
    rest = title[span.end :].strip(_HEADLINE_SEP)
    return "" if _NOT_A_HEADLINE.fullmatch(rest) else rest


def join_lines(lines: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space between Latin words."""
    out = ""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if out and out[-1].isascii() and (line[0].isascii() and line[0].isalnum()):
            out += " "
        out += line
    return out


def summary_lines(lines: list[str]) -> list[str]:
    """The summary as lines: kept as written when each line ends a phrase, else re-flowed.

    Digests wrap their summary at a fixed width ("引发安全担忧。OpenAI模型调整"); such
    text is joined and split into sentences instead.
    """
    kept = [ln.strip() for ln in lines if ln.strip()]
    if all(ln[-1] in "。！？!?.，,；;：:" for ln in kept):
        return [s for ln in kept for s in sentences(ln)]
    return sentences(join_lines(kept))


def sentences(text: str) -> list[str]:
    """Split at sentence-ending punctuation (。！？!?), keeping it; empty parts dropped."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def item_title(body: str) -> str:
    """An item title: its bold lead sentence if it starts with one, else its first sentence."""
    stripped = body.lstrip()
    if stripped.startswith("**"):
        end = stripped.find("**", 2)
        lead = stripped[2:end].strip() if end > 2 else ""
        rest = stripped[end + 2 :] if end > 2 else ""
        # A bold lead that ends a sentence, or its line, is the title.
        if lead and (lead[-1] in "。！？.!?" or rest.startswith(("\n", "\\\n")) or not rest):
            return markdown_to_text(lead)[:TITLE_MAX]
    text = markdown_to_text(body)
    title = ""
    # A very short first sentence ("痛心！") says little: take the next one too.
    for part in sentences(text) or [text]:
        title += part
        if len(title) >= TITLE_MIN:
            break
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"

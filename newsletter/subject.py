"""Subject lines fit for an inbox: plain text on one line, at most 150 characters.

Digest titles come from Markdown, RSS and JSON, and carry what those formats carry: HTML
tags and entities, Markdown emphasis and links, line breaks. None of it belongs in a
subject: mail clients show it as it is.
"""

from __future__ import annotations

import html
import re

from newsletter.text import clean_line, markdown_to_text, plain_line

#: Longest subject we send; longer ones are cut at a word (or character) with "…".
SUBJECT_LIMIT = 150
ELLIPSIS = "…"

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
#: Zero-width spaces and the byte-order mark: invisible, so a subject treats them as spaces.
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\ufeff]")
#: A cut may step back this far to end at a space.
_WORD_BACKOFF = 20


def clean_subject(raw: str, *, limit: int = SUBJECT_LIMIT) -> str:
    """``raw`` as a subject: no markup, one line, at most ``limit`` characters.

    HTML tags are dropped and entities decoded; Markdown links become their text, emphasis
    markers and a leading ``#`` heading mark go; every run of whitespace (line breaks
    included) becomes one space. A longer result is cut at the last space within the last
    20 characters before the limit (else at the limit) and ends in one "…". Never raises;
    the result may be empty (the caller decides whether that is an error).
    """
    text = _MD_HEADING.sub("", clean_line(raw))
    # Markdown first (its escapes protect marks), then HTML: entities are decoded and
    # tags written as entities are tags too.
    text = markdown_to_text(text)
    text = plain_line(_ZERO_WIDTH.sub(" ", html.unescape(text)))
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit - 1 - _WORD_BACKOFF:
        cut = cut[:space]
    cut = cut.rstrip(" .…,;:，。；：、")
    return cut + ELLIPSIS

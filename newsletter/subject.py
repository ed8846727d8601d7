"""Subject lines fit for an inbox: plain text on one line, at most 150 characters.

Digest titles come from Markdown, RSS and JSON, and carry what those formats carry: HTML
tags and entities, Markdown emphasis and links, line breaks. None of it belongs in a
subject: mail clients show it as it is.
"""

from __future__ import annotations

import html
import re

#: Longest subject we send; longer ones are cut at a word (or character) with "…".
SUBJECT_LIMIT = 150
ELLIPSIS = "…"

_TAG = re.compile(r"<[^<>]{0,500}>")
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\([^()\s]*\))?[^()\s]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_SPACE = re.compile(r"[\s\u200b\u200c\u200d\u2028\u2029\ufeff]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
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
    text = _CONTROL.sub("", raw)
    text = _MD_HEADING.sub("", text.strip())
    text = _MD_LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    text = _TAG.sub("", text)  # tags that were written as entities
    for _ in range(3):  # nested emphasis such as ***x***
        text = _MD_EMPHASIS.sub(r"\2", text)
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit - 1 - _WORD_BACKOFF:
        cut = cut[:space]
    cut = cut.rstrip(" .…,;:，。；：、")
    return cut + ELLIPSIS

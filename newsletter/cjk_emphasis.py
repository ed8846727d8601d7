"""CJK-friendly ``*``/``**`` emphasis for markdown-it-py.

CommonMark's flanking rules assume words are separated by spaces. Chinese text is not, so
``的**低秩适应（LoRA）**微调`` stays literal asterisks: the closing ``**`` follows punctuation
and precedes a letter. The digests write bold like this all the time. This rule replaces
markdown-it's emphasis tokenizer with one that treats a CJK neighbour like a space on that
side (in the spirit of the markdown-it-cjk-friendly proposal); ``_`` keeps the standard rules.
"""

from __future__ import annotations

import unicodedata

from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_inline.state_inline import Delimiter, StateInline


def _is_cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _punct(ch: str) -> bool:
    return isMdAsciiPunct(ord(ch)) or isPunctChar(ch)


def _flanking(last: str, nxt: str) -> tuple[bool, bool]:
    """(left-flanking, right-flanking) of a ``*`` run between ``last`` and ``nxt``."""
    last_space, next_space = isWhiteSpace(ord(last)), isWhiteSpace(ord(nxt))
    last_punct, next_punct = _punct(last), _punct(nxt)
    last_cjk, next_cjk = _is_cjk(last), _is_cjk(nxt)
    left = not next_space and (not next_punct or last_space or last_punct or last_cjk)
    right = not last_space and (not last_punct or next_space or next_punct or next_cjk)
    return left, right


def _tokenize(state: StateInline, silent: bool) -> bool:
    start = state.pos
    marker = state.src[start]
    if silent or marker not in ("_", "*"):
        return False
    if marker == "_":
        scanned = state.scanDelims(start, False)
        can_open, can_close, length = scanned.can_open, scanned.can_close, scanned.length
    else:
        pos = start
        while pos < state.posMax and state.src[pos] == marker:
            pos += 1
        length = pos - start
        last = state.src[start - 1] if start > 0 else " "
        nxt = state.src[pos] if pos < state.posMax else " "
        # ``*`` may split words, so it opens when left-flanking and closes when right-flanking.
        can_open, can_close = _flanking(last, nxt)
    for _ in range(length):
        token = state.push("text", "", 0)
        token.content = marker
        state.delimiters.append(
            Delimiter(
                marker=ord(marker),
                length=length,
                token=len(state.tokens) - 1,
                end=-1,
                open=can_open,
                close=can_close,
            )
        )
    state.pos += length
    return True


def cjk_emphasis(md: MarkdownIt) -> None:
    """Plugin: swap markdown-it's ``emphasis`` tokenizer for the CJK-friendly one."""
    md.inline.ruler.at("emphasis", _tokenize)

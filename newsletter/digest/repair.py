"""Markdown that would swallow the rest of a file, repaired before it is parsed.

A code fence that is never closed makes every later line code; so does, for raw HTML, an
unclosed comment (``<!--``) or ``<script>``/``<pre>``/``<style>``/``<textarea>``. The
generator's own bug is a stray *closing* fence after the summary, with no opening one
(CommonMark reads it as an opening fence that runs to the end of the file, and the whole day
vanishes into one code block).

The repair only touches a file that is broken that way (a well-formed file comes back as it
was, no copy made):

- a bare fence glued to the text before it and followed by a blank line or a heading is a
  stray closing fence (even when a later fence happens to pair with it): it is dropped;
- any other fence left open closes at the next heading, or at the next blank-line
  paragraph break when the file's closed code blocks never hold a blank line (the shape of
  the generator's summary blocks), whichever the source's shape shows;
- an unclosed comment or ``<script>``-like block closes at the next blank line or heading;
- an unclosed ``<details>`` is reported (CommonMark ends its block at a blank line; its
  content stays).

Each repair is one note ``(line, "unclosed code fence closed")``; line numbers of the
repaired text map back to the source's through :attr:`Repaired.origin`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_FRONT_MATTER = re.compile(r"^---\s*$")
#: CommonMark's raw HTML blocks that end only at a closing marker (types 1-5), with it.
_HTML_BLOCKS: list[tuple[re.Pattern[str], re.Pattern[str], str, str]] = [
    (
        re.compile(r"^ {0,3}<(script|pre|style|textarea)(?:[\s>]|$)", re.I),
        re.compile(r"</(?:script|pre|style|textarea)>", re.I),
        "</{tag}>",
        "unclosed <{tag}> closed",
    ),
    (re.compile(r"^ {0,3}<!--"), re.compile(r"-->"), " -->", "unclosed HTML comment closed"),
    (re.compile(r"^ {0,3}<\?"), re.compile(r"\?>"), " ?>", "unclosed <? block closed"),
    (
        re.compile(r"^ {0,3}<!\[CDATA\["),
        re.compile(r"\]\]>"),
        " ]]>",
        "unclosed CDATA block closed",
    ),
    (re.compile(r"^ {0,3}<![A-Za-z]"), re.compile(r">"), " >", "unclosed <! block closed"),
]
_DETAILS_OPEN = re.compile(r"<details(?:[\s>]|$)", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
FENCE_NOTE = "unclosed code fence closed"


@dataclass
class Repaired:
    """The text to parse, the source line (1-based) of each of its lines, and the notes."""

    text: str
    origin: list[int] | None = None  # None: the lines are the source's own
    notes: list[tuple[int, str]] = field(default_factory=list)

    def line(self, index: int) -> int:
        """The source's line number (1-based) of the repaired text's line ``index`` (0-based)."""
        if self.origin is None:
            return index + 1
        return self.origin[min(index, len(self.origin) - 1)] if self.origin else 1


@dataclass(frozen=True)
class _Fence:
    indent: int
    char: str
    length: int
    info: str

    def closed_by(self, line: str) -> bool:
        m = _FENCE.match(line)
        return (
            m is not None and m[2][0] == self.char and len(m[2]) >= self.length and not m[3].strip()
        )


def _fence(line: str) -> _Fence | None:
    m = _FENCE.match(line)
    if m is None or (m[2][0] == "`" and "`" in m[3]):
        return None
    return _Fence(len(m[1]), m[2][0], len(m[2]), m[3].strip())


def _blank(line: str) -> bool:
    return not line.strip()


def _body_start(lines: list[str]) -> int:
    """The first line after YAML front matter (0 when there is none)."""
    if lines and _FRONT_MATTER.match(lines[0]):
        for n in range(1, len(lines)):
            if lines[n].rstrip() in ("---", "..."):
                return n + 1
    return 0


def _html_start(line: str) -> int | None:
    for kind, (start, _end, _close, _note) in enumerate(_HTML_BLOCKS):
        if start.match(line):
            return kind
    return None


def _broken(lines: list[str], start: int) -> bool:
    """True when CommonMark would leave a fence or a raw HTML block open to the end, or
    read a stray closing fence as an opening one (which then pairs with a later fence and
    swallows everything between)."""
    n = start
    while n < len(lines):
        line = lines[n]
        if (fence := _fence(line)) is not None:
            close = next((k for k in range(n + 1, len(lines)) if fence.closed_by(lines[k])), None)
            if close is None or _stray(lines, n, fence):
                return True
            n = close + 1
            continue
        if (kind := _html_start(line)) is not None:
            end = _HTML_BLOCKS[kind][1]
            close = next((k for k in range(n, len(lines)) if end.search(lines[k])), None)
            if close is None:
                return True
            n = close + 1
            continue
        n += 1
    return False


def _blank_in_code(lines: list[str], start: int) -> bool:
    """Whether any closed code block of the file holds a blank line (its shape)."""
    n = start
    while n < len(lines):
        if (fence := _fence(lines[n])) is not None:
            close = next((k for k in range(n + 1, len(lines)) if fence.closed_by(lines[k])), None)
            if close is None:
                return False
            if any(_blank(lines[k]) for k in range(n + 1, close)):
                return True
            n = close + 1
            continue
        n += 1
    return False


def _stray(lines: list[str], n: int, fence: _Fence) -> bool:
    """A bare fence right under text, with nothing after it: a closing fence without its
    opening one (the generator's summary bug)."""
    if fence.info or n == 0:
        return False
    before = lines[n - 1]
    if _blank(before) or _HEADING.match(before) or _fence(before) is not None:
        return False
    return n + 1 >= len(lines) or _blank(lines[n + 1]) or bool(_HEADING.match(lines[n + 1]))


def _break_after(lines: list[str], n: int, *, blank_lines: bool) -> int:
    """Where a block opened at line ``n`` and never closed ends: the next heading, or (when
    ``blank_lines`` is False) the first blank line after some content, if that comes first;
    ``len(lines)`` when neither does."""
    seen_content = False
    for k in range(n + 1, len(lines)):
        if _HEADING.match(lines[k]):
            return k
        if _blank(lines[k]):
            if seen_content and not blank_lines:
                return k
        else:
            seen_content = True
    return len(lines)


def _close_html(lines: list[str], n: int, kind: int, notes: list[tuple[int, str]]) -> int:
    """Close the raw HTML block opened at ``n``, if it is open to the end, on the line before
    its break; the index of the first line after the block."""
    start, end, closing, note = _HTML_BLOCKS[kind]
    close = next((k for k in range(n, len(lines)) if end.search(lines[k])), None)
    if close is not None:
        return close + 1
    stop = _break_after(lines, n, blank_lines=False)
    # A comment or script is invisible: the earliest break loses least of the day.
    last = n
    for k in range(n + 1, stop):
        if _blank(lines[k]):
            break
        last = k
    m = start.match(lines[n])
    tag = m[1].lower() if m is not None and m.groups() else ""
    lines[last] = lines[last] + closing.format(tag=tag)
    notes.append((n + 1, note.format(tag=tag)))
    return last + 1


def _details_notes(lines: list[str], start: int) -> list[tuple[int, str]]:
    """One note for each ``<details>`` that is never closed (outside code)."""
    opened: list[int] = []
    fence: _Fence | None = None
    for n in range(start, len(lines)):
        line = lines[n]
        if fence is not None:
            if fence.closed_by(line):
                fence = None
            continue
        if (fence := _fence(line)) is not None:
            continue
        opened += [n] * len(_DETAILS_OPEN.findall(line))
        for _ in _DETAILS_CLOSE.findall(line):
            if opened:
                opened.pop()
    return [(n + 1, "unclosed <details> closed") for n in opened]


def repair_markdown(text: str) -> Repaired:
    """``text`` with its unclosed fences and raw HTML blocks closed (see the module's doc)."""
    if "```" not in text and "~~~" not in text and "<" not in text:
        return Repaired(text)
    lines = text.splitlines()
    start = _body_start(lines)
    notes = _details_notes(lines, start) if "<details" in text.lower() else []
    if not _broken(lines, start):
        return Repaired(text, None, notes)
    blank_lines = _blank_in_code(lines, start)
    out: list[str] = lines[:start]
    origin: list[int] = list(range(1, start + 1))
    n = start
    while n < len(lines):
        line = lines[n]
        fence = _fence(line)
        if fence is None:
            kind = _html_start(line)
            if kind is not None:
                after = _close_html(lines, n, kind, notes)
                out += lines[n:after]
                origin += range(n + 1, after + 1)
                n = after
                continue
            out.append(line)
            origin.append(n + 1)
            n += 1
            continue
        close = next((k for k in range(n + 1, len(lines)) if fence.closed_by(lines[k])), None)
        if close is not None and not _stray(lines, n, fence):
            out += lines[n : close + 1]
            origin += range(n + 1, close + 2)
            n = close + 1
            continue
        if _stray(lines, n, fence):
            # Kept as a blank line: the text above stays a paragraph of its own.
            notes.append((n + 1, FENCE_NOTE))
            out.append("")
            origin.append(n + 1)
            n += 1
            continue
        stop = _break_after(lines, n, blank_lines=blank_lines)
        notes.append((n + 1, FENCE_NOTE))
        out += lines[n:stop]
        origin += range(n + 1, stop + 1)
        out.append(" " * fence.indent + fence.char * fence.length)
        origin.append(min(stop + 1, len(lines)))
        n = stop
    notes.sort()
    return Repaired("\n".join(out) + "\n", origin, notes)


__all__ = ["FENCE_NOTE", "Repaired", "repair_markdown"]

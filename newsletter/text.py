"""The text rules: what each kind of untrusted text may keep, stated once.

Text reaches us from digests (Markdown, feeds, JSON), settings, the public forms, CSV files
and command-line arguments, and leaves through email headers, templates, terminals and the
database. Every entry point cleans with one of the functions below, chosen by where the
text is going, never with a rule of its own:

- :func:`has_controls`: is there any control character (settings and edition fields,
  which are one line and are refused rather than repaired); :func:`breaks_lines`: would
  the text be more than one line (subjects, header values, names: refused);
- :func:`remove_controls`: every control character gone (names of lists, attribute keys);
- :func:`clean_line`: one line of text (display names, header phrases): controls gone,
  every run of whitespace one space; :func:`plain_line` also drops markup (titles, headings);
- :func:`clean_text`: text that may span lines (item bodies, descriptions): line ends made
  ``\\n``, tab and newline kept, every other control gone;
- :func:`untrusted_text`: :func:`clean_text` fit for a template (no marker of ours left);
- :func:`for_terminal` and :func:`for_terminal_json`: what is printed, controls shown escaped;
- :func:`collapse_whitespace`: a message's layout made one line, nothing else touched;
- :func:`markup_to_text` (HTML) and :func:`markdown_to_text` (inline Markdown): the words a
  reader sees, markup gone.

A *control character* is C0 (``\\x00``-``\\x1f``, tab and line breaks included), DEL
(``\\x7f``) and C1 (``\\x80``-``\\x9f``): NUL is refused by PostgreSQL, an escape sequence
acts on a terminal, a line break in a header starts a new header.
"""

from __future__ import annotations

import re

#: C0, DEL and C1 as a regular-expression class body.
CONTROLS = "\\x00-\\x1f\\x7f-\\x9f"
_CONTROL = re.compile(f"[{CONTROLS}]")
#: The controls that are not the layout of multi-line text (tab and newline).
_CONTROL_NOT_LAYOUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_END = re.compile(r"\r\n?")
_BREAKS = re.compile("[\r\n\x00\x85\u2028\u2029]")
#: The whitespace of a multi-line message (a database driver's "...\n\tIs the server ...").
_LAYOUT = re.compile(r"[ \t\n\r\f\v]+")
#: Whitespace: tab, line breaks, Unicode spaces and separators (not the C0 information
#: separators \x1c-\x1f, which Python counts as whitespace: they are controls).
_SPACES = re.compile(r"[^\S\x1c-\x1f]+")
#: Characters a terminal acts on or that change how a line reads (bidirectional marks and
#: overrides, Unicode line separators), besides the controls.
_MARKS = "\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
_TERMINAL_UNSAFE = re.compile(f"[{CONTROLS}{_MARKS}]")
#: The same, minus the C0 controls that ``json.dumps`` already escapes (it leaves DEL as is).
_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f{_MARKS}]")
#: Every internal marker of a rendering (languages, audiences, per-recipient values).
_MARKER = re.compile(r"__NEWSLETTER_[A-Z_]+__")

#: Elements whose content is code or styling, never visible text.
INVISIBLE = frozenset({"script", "style", "template", "noscript", "iframe", "object", "head"})
_MD_HARD_BREAK = re.compile(r"\\\n")
#: A link or image: its text, then a destination that may hold one level of parentheses.
_MD_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|`+|~~)(?=\S)(.+?)(?<=\S)\1")
_MD_MARK = re.compile(r"\*\*|__|`")
_MD_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
#: Where escaped ASCII punctuation waits (private-use characters U+F700-U+F77F).
_ESCAPE_BASE = 0xF700
_SET_ASIDE = re.compile("[\uf721-\uf77e]")


def has_controls(text: str) -> bool:
    """Whether ``text`` holds any control character (C0 with tab and line breaks, DEL, C1)."""
    return _CONTROL.search(text) is not None


def breaks_lines(text: str) -> bool:
    """Whether ``text`` would be more than one line anywhere it goes: a line break (CR, LF,
    NEL, the Unicode line and paragraph separators) or a NUL (which ends a header early)."""
    return _BREAKS.search(text) is not None


def remove_controls(text: str) -> str:
    """``text`` without any control character (tab and line breaks go too)."""
    return _CONTROL.sub("", text)


def clean_text(text: str) -> str:
    """Text that may span lines: ``\\r\\n`` and ``\\r`` become ``\\n``; tab and newline are
    kept; every other control character is removed. Nothing else changes."""
    return _CONTROL_NOT_LAYOUT.sub("", _LINE_END.sub("\n", text))


def clean_line(text: str) -> str:
    """One line of text: each run of whitespace (tab, line breaks and the Unicode
    separators included) becomes one space, every other control character is removed, and
    the ends are stripped. Markup is left as it is (:func:`markup_to_text` removes it)."""
    return _CONTROL.sub("", _SPACES.sub(" ", text)).strip()


def plain_line(text: str) -> str:
    """One line of plain text (a title, a heading, a label): :func:`markup_to_text`, then
    :func:`clean_line`."""
    return clean_line(markup_to_text(text))


def collapse_whitespace(text: str) -> str:
    """``text`` with each run of ASCII whitespace (space, tab, line breaks) made one space
    and the ends stripped; nothing else changes (a terminal shows other controls escaped,
    :func:`for_terminal`: they are not layout, someone put them there)."""
    return _LAYOUT.sub(" ", text).strip()


def scrub_markers(text: str) -> str:
    """``text`` without any of our rendering markers, so untrusted content cannot pose as
    one (removing one may join two halves into another: repeated until none is left)."""
    while _MARKER.search(text):
        text = _MARKER.sub("", text)
    return text


def untrusted_text(text: str) -> str:
    """Untrusted text made safe to template: :func:`clean_text`, and no marker of ours."""
    return scrub_markers(clean_text(text))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` fit to print: every control character and bidirectional mark shown as an
    escape (``\\x1b``, ``\\u202e``); with ``keep_newlines``, newline and tab stay as they are."""
    if keep_newlines:
        return _TERMINAL_UNSAFE.sub(
            lambda m: m.group(0) if m.group(0) in "\n\t" else _escaped(m), text
        )
    return _TERMINAL_UNSAFE.sub(_escaped, text)


def for_terminal_json(text: str) -> str:
    """JSON text (from ``json.dumps``) fit to print: C1 controls and bidirectional marks
    as JSON escapes (``\\u0085``). Outside strings JSON has no such characters, so the
    result is still valid JSON of the same value."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def markup_to_text(text: str) -> str:
    """The visible text of ``text`` read as HTML: tags dropped, entities decoded, and the
    content of script, style and similar elements dropped with them
    (``<script>alert(1)</script>`` → ``""``). Text with no ``<`` is returned as it is
    (an ``&`` in plain text is the author's). Control characters other than tab and
    newline are removed (they are never visible, and lxml refuses them)."""
    text = _CONTROL_NOT_LAYOUT.sub("", text)
    if "<" not in text:
        return text
    # lxml is imported here: the settings and the CLI's start import this module.
    from lxml import etree, html

    try:
        root = html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return text
    for br in root.iter("br"):  # a line break separates words
        br.tail = "\n" + (br.tail or "")
    for el in list(root.iter(*INVISIBLE)):
        parent = el.getparent()
        if parent is not None:
            tail = el.tail or ""
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(el)
    return str(root.text_content())


def markdown_to_text(markdown: str) -> str:
    """Inline Markdown (and stray HTML) as one line of the words a reader sees: links and
    images become their text, emphasis and code marks go, backslash escapes are undone
    (an escaped mark stays), tags go (:func:`markup_to_text`), and the result is
    :func:`clean_line`."""
    # Escaped characters are set aside as private-use characters, so no rule reads them.
    text = _MD_ESCAPED.sub(lambda m: chr(_ESCAPE_BASE + ord(m[1])), markdown)
    text = _MD_HARD_BREAK.sub("\n", text)
    text = _MD_LINK.sub(r"\1", text)
    for _ in range(3):  # nested emphasis such as ***x***
        text = _MD_EMPHASIS.sub(r"\2", text)
    text = markup_to_text(_MD_MARK.sub("", text))
    text = _SET_ASIDE.sub(lambda m: chr(ord(m[0]) - _ESCAPE_BASE), text)
    return clean_line(text)

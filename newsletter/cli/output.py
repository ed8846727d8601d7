"""Printing helpers shared by the commands: JSON for scripts, tables and lines for people.

Whatever is printed may come from the public sign-up form, so control characters (C0, DEL,
C1, and the Unicode line separators and bidirectional overrides) never reach the terminal
as they are: they are shown escaped (``\\x1b``), and table cells are never read as Rich
markup. JSON keeps its own escapes (``\\u001b``) for the same characters.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import typer

# Anything shaped like an address (error output never prints one).
_ADDRESS = re.compile(r"[^\s'\"()<>=,;:]+@[^\s'\"()<>=,;:]+")
# Characters a terminal acts on or that change how a line reads.
_MARKS = r"\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(rf"[\x00-\x1f\x7f-\x9f{_MARKS}]")
# The same, minus the C0 controls and DEL that json.dumps already escapes.
_UNSAFE_IN_JSON = re.compile(rf"[\x80-\x9f{_MARKS}]")
# The whitespace of a multi-line message (a database driver's "...\n\tIs the server ...").
_LAYOUT = re.compile(r"[ \t\n\r\f\v]+")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``); with
    ``keep_newlines``, line breaks and tabs are left as they are."""
    if keep_newlines:
        return _UNSAFE.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else _escaped(m), text)
    return _UNSAFE.sub(_escaped, text)


def masked(text: str) -> str:
    """``text`` with anything shaped like an address masked (``re***@example.com``)."""
    if not _ADDRESS.search(text):
        return text
    # Imported only when there is an address to mask: the audience package is heavy.
    from newsletter.audience.addresses import mask_email

    return _ADDRESS.sub(lambda m: mask_email(m.group(0)), text)


def echo(text: str, *, err: bool = False) -> None:
    """Print one line (or several) with control characters escaped. On stderr (errors and
    warnings, which end up in logs) addresses are masked too."""
    typer.echo(escape(masked(text) if err else text, keep_newlines=True), err=err)


def one_line(text: str) -> str:
    """``text`` on one line: each run of ASCII whitespace (line breaks and tabs of a
    driver's message) becomes one space; other control characters are left to
    :func:`escape`, which shows them (they are not layout: someone put them there)."""
    return _LAYOUT.sub(" ", text).strip()


def echo_error(text: str) -> None:
    """Print an error as one line on stderr: its line breaks and tabs collapsed to spaces
    (never shown as ``\\x0a``), other control characters escaped, addresses masked."""
    typer.echo(escape(masked(one_line(text))), err=True)


def _default(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as indented UTF-8 JSON (CJK kept readable, control characters escaped)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default)
    # Outside strings JSON has no such characters, so escaping them keeps the JSON valid.
    typer.echo(_UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text))


def print_table(title: str, *, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table; cells are converted with ``str``, escaped, and never read as markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(escape(title)))
    for col in columns:
        table.add_column(Text(escape(col)))
    for row in rows:
        table.add_row(*(Text("" if c is None else escape(str(c))) for c in row))
    Console().print(table)

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

from newsletter.text import collapse_whitespace, for_terminal, for_terminal_json

# Anything shaped like an address (error output never prints one).
_ADDRESS = re.compile(r"[^\s'\"()<>=,;:]+@[^\s'\"()<>=,;:]+")


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
    typer.echo(for_terminal(masked(text) if err else text, keep_newlines=True), err=err)


def echo_error(text: str) -> None:
    """Print an error as one line on stderr: its line breaks and tabs collapsed to spaces
    (never shown as ``\\x0a``), other control characters escaped, addresses masked."""
    typer.echo(for_terminal(masked(collapse_whitespace(text))), err=True)


def _default(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as indented UTF-8 JSON (CJK kept readable, control characters escaped)."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default)
    typer.echo(for_terminal_json(text))


def print_table(title: str, *, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table; cells are converted with ``str``, escaped, and never read as markup."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=Text(for_terminal(title)))
    for col in columns:
        table.add_column(Text(for_terminal(col)))
    for row in rows:
        table.add_row(*(Text("" if c is None else for_terminal(str(c))) for c in row))
    Console().print(table)

"""Printing helpers shared by the commands: JSON for scripts, tables for people."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table


def _default(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def print_json(data: Any) -> None:
    """Print ``data`` as indented UTF-8 JSON (CJK kept readable)."""
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def print_table(title: str, *, columns: list[str], rows: list[list[Any]]) -> None:
    """Print a Rich table; cells are converted with ``str``."""
    table = Table(title=title)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if c is None else str(c) for c in row))
    Console().print(table)

"""Small SQL helpers shared by the audience modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Result

T = TypeVar("T")

#: Values per ``IN (...)`` list: well under SQLite's 32766 bound parameters.
IN_CHUNK = 5000


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE executed through a Session."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` marked as UTC: SQLite hands back stored UTC timestamps without a zone."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)

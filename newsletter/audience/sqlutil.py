"""Small SQL helpers shared by the audience modules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import CursorResult, Result
from sqlalchemy.orm import Session

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


def expire_loaded(
    session: Session, model: type[Any], attributes: list[str], match: Callable[[Any], bool]
) -> None:
    """Expire ``attributes`` of the in-session ``model`` objects that ``match``.

    Bulk UPDATEs do not reliably refresh attributes that were never loaded (a column left to
    its default), so the objects a caller holds are expired and re-read on next access.
    """
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and match(obj):
            session.expire(obj, attributes)

"""Small SQL helpers shared by the audience modules."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    CursorResult,
    Integer,
    Result,
    SQLColumnExpression,
    String,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

T = TypeVar("T")

#: Values per lookup: bounds the size of one statement and of its result.
IN_CHUNK = 20000


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE executed through a Session."""
    assert isinstance(result, CursorResult)
    return result.rowcount


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


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


def one_of(dialect: str, column: SQLColumnExpression[Any], values: Sequence[str | int]) -> Any:
    """``column IN values`` with ONE bound parameter, whatever the number of values.

    An ``IN (...)`` list with thousands of placeholders costs more to compile and convert
    than the query takes to run; an array (PostgreSQL) or a JSON list (SQLite) does not.
    """
    item_type = Integer() if values and isinstance(values[0], int) else String()
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(item_type)))
    if dialect == "sqlite":
        each = func.json_each(json.dumps(list(values))).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(list(values))

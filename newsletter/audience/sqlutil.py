"""ORM helpers of the audience modules (the generic SQL helpers are in :mod:`newsletter.db`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session


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

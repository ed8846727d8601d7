"""Stored items: replace a day's items from a parsed digest, and read them back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newsletter.digest import Digest
from newsletter.models import Digest as DigestRow
from newsletter.models import Item


@dataclass(frozen=True)
class ImportResult:
    """What one day's import did."""

    date: dt.date
    sections: int
    items: int
    replaced: int  # items of that day that existed before and were replaced


def store_digest(session: Session, digest: Digest, *, source: str) -> ImportResult:
    """Replace the day's items with ``digest``'s, in the caller's transaction.

    Importing the same day again replaces it, never duplicates. Composed issues keep their
    own snapshot and are not changed.
    """
    replaced = (
        session.scalar(select(func.count()).select_from(Item).where(Item.date == digest.date)) or 0
    )
    session.execute(delete(Item).where(Item.date == digest.date))
    session.execute(delete(DigestRow).where(DigestRow.date == digest.date))
    session.flush()
    row = DigestRow(date=digest.date, title=digest.title, summary=digest.summary, source=source)
    session.add(row)
    for s_pos, section in enumerate(digest.sections, 1):
        for i_pos, item in enumerate(section.items, 1):
            session.add(
                Item(
                    date=digest.date,
                    section=section.name,
                    section_position=s_pos,
                    position=i_pos,
                    title=item.title,
                    body=item.body,
                    links=[link.model_dump() for link in item.links],
                    images=[image.model_dump() for image in item.images],
                    source=item.source,
                )
            )
    session.flush()
    return ImportResult(digest.date, len(digest.sections), digest.item_count, replaced)


def list_items(session: Session, *, date: dt.date | None = None) -> list[Item]:
    """Items in digest order (date, section, position), optionally of one day."""
    query = select(Item).order_by(Item.date, Item.section_position, Item.position)
    if date is not None:
        query = query.where(Item.date == date)
    return list(session.scalars(query))


def item_dict(item: Item) -> dict[str, Any]:
    """The JSON form of a stored item."""
    return {
        "date": item.date.isoformat(),
        "section": item.section,
        "section_position": item.section_position,
        "position": item.position,
        "title": item.title,
        "body": item.body,
        "links": item.links,
        "images": item.images,
        "source": item.source,
    }

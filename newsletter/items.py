"""Stored digests: replace a day's digest (sections and items) from a parsed one, read items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newsletter.digest import Digest, DigestItem
from newsletter.models import DigestRecord, Item


@dataclass(frozen=True)
class ImportResult:
    """What one day's import did."""

    date: dt.date
    sections: int
    items: int
    replaced: int  # items of that day that existed before and were replaced
    text_blocks: int = 0


def store_digest(session: Session, digest: Digest, *, source: str) -> ImportResult:
    """Replace the day's digest with ``digest``, in the caller's transaction.

    The digest row keeps the whole digest (headline, tagline, sections with their items and
    text blocks, in order); each item also gets a row of its own. Importing the same day again
    replaces it, never duplicates. Composed issues keep their own snapshot and are not changed.
    """
    replaced = (
        session.scalar(select(func.count()).select_from(Item).where(Item.date == digest.date)) or 0
    )
    session.execute(delete(Item).where(Item.date == digest.date))
    session.execute(delete(DigestRecord).where(DigestRecord.date == digest.date))
    session.flush()
    row = DigestRecord(
        date=digest.date,
        title=digest.title,
        headline=digest.headline,
        tagline=digest.tagline,
        summary=digest.summary,
        sections=[s.model_dump(mode="json") for s in digest.sections],
        source=source,
    )
    session.add(row)
    for s_pos, section in enumerate(digest.sections, 1):
        items = [b for b in section.blocks if isinstance(b, DigestItem)]
        for i_pos, item in enumerate(items, 1):
            session.add(
                Item(
                    date=digest.date,
                    section=section.heading[:200],
                    section_position=s_pos,
                    position=i_pos,
                    number=item.number,
                    title=item.title[:1000],
                    body=item.body,
                    links=[link.model_dump() for link in item.links],
                    images=[image.model_dump() for image in item.images],
                    source=item.source[:1000],
                )
            )
    session.flush()
    return ImportResult(
        digest.date, len(digest.sections), digest.item_count, replaced, digest.text_block_count
    )


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
        "number": item.number,
        "title": item.title,
        "body": item.body,
        "links": item.links,
        "images": item.images,
        "source": item.source,
    }

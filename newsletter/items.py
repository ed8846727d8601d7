"""Stored digests: replace a day's digest (sections and items) from a parsed one, read items."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from newsletter.editions import get_edition
from newsletter.models import DigestRecord, Edition, Item

if TYPE_CHECKING:
    from newsletter.digest import Digest


@dataclass(frozen=True)
class ImportResult:
    """What one day's import did."""

    date: dt.date
    sections: int
    items: int
    replaced: int  # items of that day that existed before and were replaced
    text_blocks: int = 0
    edition: str = ""
    #: What the import did to the day's issue, one line each (see
    #: :func:`newsletter.compose.follow_import`).
    issue_notes: list[str] = field(default_factory=list)


def store_digest(
    session: Session, digest: Digest, *, source: str, edition: Edition | None = None
) -> ImportResult:
    """Replace the day's digest of ``edition`` (default: the default edition) with
    ``digest``, in the caller's transaction.

    The digest row keeps the whole digest (headline, tagline, sections with their items and
    text blocks, in order); each item also gets a row of its own. Importing the same day of
    the same edition again replaces it, never duplicates; another edition's day is never
    touched. Composed issues keep their own snapshot and are not changed.
    """
    # Imported here, not with the module: `items list` reads items and needs none of the
    # compose step (the editorial outline, the digest models, the freshness hashes).
    from newsletter.compose import follow_import
    from newsletter.digest import DigestItem
    from newsletter.freshness import digest_hash

    edition = edition or get_edition(session)
    same_day = (Item.edition_id == edition.id) & (Item.date == digest.date)
    replaced = session.scalar(select(func.count()).select_from(Item).where(same_day)) or 0
    session.execute(delete(Item).where(same_day))
    session.execute(
        delete(DigestRecord).where(
            DigestRecord.edition_id == edition.id, DigestRecord.date == digest.date
        )
    )
    session.flush()
    sections = [s.model_dump(mode="json") for s in digest.sections]
    row = DigestRecord(
        edition_id=edition.id,
        date=digest.date,
        title=digest.title,
        headline=digest.headline,
        tagline=digest.tagline,
        summary=digest.summary,
        sections=sections,
        source=source,
        content_hash=digest_hash(
            title=digest.title,
            headline=digest.headline,
            tagline=digest.tagline,
            summary=digest.summary,
            sections=sections,
        ),
    )
    session.add(row)
    for s_pos, section in enumerate(digest.sections, 1):
        items = [b for b in section.blocks if isinstance(b, DigestItem)]
        for i_pos, item in enumerate(items, 1):
            session.add(
                Item(
                    edition_id=edition.id,
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
    # The day's issue follows its items while it is a draft, and is frozen once it is out:
    # on every path that stores a digest (the command, the daily job, a folder import).
    notes = follow_import(session, edition=edition, date=digest.date)
    return ImportResult(
        digest.date,
        len(digest.sections),
        digest.item_count,
        replaced,
        digest.text_block_count,
        edition.slug,
        notes,
    )


def find_digest(
    session: Session, date: dt.date, *, edition: Edition | None = None
) -> DigestRecord | None:
    """The stored digest of ``date`` in ``edition`` (default: the default edition), or None."""
    edition = edition or get_edition(session)
    return session.get(DigestRecord, (edition.id, date))


def list_items(
    session: Session, *, date: dt.date | None = None, edition: Edition | None = None
) -> list[Item]:
    """The edition's items (default: the default edition's) in digest order (date, section,
    position), optionally of one day."""
    edition = edition or get_edition(session)
    query = (
        select(Item)
        .where(Item.edition_id == edition.id)
        .order_by(Item.date, Item.section_position, Item.position)
    )
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

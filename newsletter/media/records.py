"""The record of stored images (table ``media``), keyed by source URL: one download per URL.

A source URL is fetched once; every later render of any issue that uses it reuses the
stored copy. Failures are not recorded, so a later render tries again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from newsletter.models import MediaImage


def url_hash(url: str) -> str:
    """The key of ``url`` in the table."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


def recorded(session: Session, urls: Iterable[str]) -> dict[str, MediaImage]:
    """The records of those of ``urls`` that were stored before, by source URL."""
    by_hash = {url_hash(u): u for u in urls}
    if not by_hash:
        return {}
    rows = session.scalars(select(MediaImage).where(MediaImage.url_hash.in_(list(by_hash))))
    return {by_hash[row.url_hash]: row for row in rows}


def record(session: Session, image: MediaImage) -> None:
    """Add ``image``'s record; a record of the same URL written meanwhile wins, quietly."""
    image.url_hash = url_hash(image.source_url)
    try:
        with session.begin_nested():
            session.add(image)
    except IntegrityError:
        pass  # another render recorded the same URL first: same bytes, same name

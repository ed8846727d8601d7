"""Stored images: what the image stage made of each source URL, so that it is fetched once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from newsletter.models.base import Base, utcnow


class MediaImage(Base):
    """One source image URL and its stored copy (a name in the media store)."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the source URL: unique, and short enough for every database's index.
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source_url: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(10))
    source_bytes: Mapped[int]
    source_width: Mapped[int]
    source_height: Mapped[int]
    name: Mapped[str] = mapped_column(String(40))
    stored_format: Mapped[str] = mapped_column(String(10))
    stored_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    frames: Mapped[int]
    action: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

"""Content: an imported day's digest, its items, and the composed issue."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from newsletter.models.base import Base, enum_type, utcnow


class DigestRecord(Base):
    """One imported day: the digest's title, headline, tagline, summary and its sections as
    imported (headings with their items and text blocks, in order). Items hang off it too,
    one row each, for listing."""

    __tablename__ = "digests"

    date: Mapped[dt.date] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    headline: Mapped[str] = mapped_column(String(500), default="")
    tagline: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    #: ``[{"heading", "depth", "url", "blocks": [{"kind": "item", ...} | {"kind": "text",
    #: "markdown", "images"}]}, ...]``: :class:`newsletter.digest.Section` dumped.
    sections: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(1000), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    items: Mapped[list[Item]] = relationship(
        back_populates="digest",
        cascade="all, delete-orphan",
        order_by="(Item.section_position, Item.position)",
    )


class Item(Base):
    """One news item. ``body`` is the item's Markdown, stored as text and never trusted."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("date", "section_position", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(ForeignKey("digests.date", ondelete="CASCADE"))
    section: Mapped[str] = mapped_column(String(200))
    section_position: Mapped[int]
    position: Mapped[int]
    #: The source's own number of the entry (None when it gave none).
    number: Mapped[int | None] = mapped_column(default=None)
    title: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text)
    #: ``[{"text": ..., "url": ...}, ...]`` in the digest's order.
    links: Mapped[list[Any]] = mapped_column(default=list)
    #: ``[{"url": ..., "alt": ...}, ...]`` in the digest's order.
    images: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str] = mapped_column(String(1000), default="")

    digest: Mapped[DigestRecord] = relationship(back_populates="items")


class IssueStatus(enum.StrEnum):
    """Life of an issue: composed (draft), rendered, being sent, sent."""

    DRAFT = "draft"
    RENDERED = "rendered"
    SENDING = "sending"
    SENT = "sent"


class Issue(Base):
    """A composed issue: a snapshot of the day's items, so later re-imports never change it."""

    __tablename__ = "issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[dt.date] = mapped_column(unique=True)
    subject: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    preheader: Mapped[str] = mapped_column(String(500), default="")
    headline: Mapped[str] = mapped_column(String(500), default="")
    tagline: Mapped[str] = mapped_column(Text, default="")
    #: The digest's sections: ``[{"heading", "depth", "url", "blocks": [...]}, ...]``, each
    #: block ``{"kind": "item", "number", "title", "body", "links", "images", "source"}`` or
    #: ``{"kind": "text", "markdown", "images"}`` (see :class:`newsletter.digest.Section`).
    sections: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[IssueStatus] = mapped_column(enum_type(IssueStatus), default=IssueStatus.DRAFT)
    composed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The rendered email, stored once so the send and the archive show the same bytes.
    # Per-recipient parts are placeholders substituted at send time.
    rendered_subject: Mapped[str | None] = mapped_column(String(500), default=None)
    rendered_html: Mapped[str | None] = mapped_column(Text, default=None)
    rendered_text: Mapped[str | None] = mapped_column(Text, default=None)
    rendered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)


Index("ix_items_date", Item.date)

"""Content: an imported day's digest, its items, and the composed issue."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from newsletter.models.base import Base, enum_type, utcnow

#: The slug of the edition that the migration to editions (and a fresh database) starts with.
DEFAULT_EDITION_SLUG = "default"


class Edition(Base):
    """A newsletter of its own: its digest, its day (time zone, send time), language, list
    and identity. A field left None takes the ``NEWSLETTER_*`` setting of the same meaning
    (:func:`newsletter.editions.edition_settings`), so the default edition made from the
    settings alone needs nothing stored."""

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    is_default: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    language: Mapped[str | None] = mapped_column(String(20), default=None)
    list_name: Mapped[str | None] = mapped_column(String(100), default=None)
    sender: Mapped[str | None] = mapped_column(String(320), default=None)
    reply_to: Mapped[str | None] = mapped_column(String(320), default=None)
    brand_color: Mapped[str | None] = mapped_column(String(20), default=None)
    accent_color: Mapped[str | None] = mapped_column(String(20), default=None)
    logo_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    postal_address: Mapped[str | None] = mapped_column(String(500), default=None)
    #: A path, feed URL, or a template with ``{date}`` (``{date:%Y-%m}``) in it.
    source: Mapped[str | None] = mapped_column(String(1000), default=None)
    #: An IANA time zone name; None is UTC.
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    #: Local ``HH:MM`` from which `daily` sends the day's issue; None: whenever it runs.
    send_at: Mapped[str | None] = mapped_column(String(5), default=None)
    #: Regular expressions; None takes NEWSLETTER_DROP_SECTIONS.
    drop_sections: Mapped[list[Any] | None] = mapped_column(default=None)
    #: The welcome email's Markdown, sent once after a confirmed sign-up; None: no welcome.
    welcome: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DigestRecord(Base):
    """One imported day: the digest's title, headline, tagline, summary and its sections as
    imported (headings with their items and text blocks, in order). Items hang off it too,
    one row each, for listing."""

    __tablename__ = "digests"

    edition_id: Mapped[int] = mapped_column(
        ForeignKey("editions.id", ondelete="CASCADE"), primary_key=True
    )
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
    #: The version of the day's content (:func:`newsletter.freshness.digest_hash`): an issue
    #: composed from another version is out of date.
    content_hash: Mapped[str] = mapped_column(String(64), default="")

    items: Mapped[list[Item]] = relationship(
        back_populates="digest",
        cascade="all, delete-orphan",
        order_by="(Item.section_position, Item.position)",
    )


class Item(Base):
    """One news item. ``body`` is the item's Markdown, stored as text and never trusted."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("edition_id", "date", "section_position", "position"),
        ForeignKeyConstraint(
            ["edition_id", "date"], ["digests.edition_id", "digests.date"], ondelete="CASCADE"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int]
    date: Mapped[dt.date]
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
    __table_args__ = (UniqueConstraint("edition_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"))
    date: Mapped[dt.date]
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
    #: The digest version (``DigestRecord.content_hash``) the issue was composed from.
    digest_hash: Mapped[str] = mapped_column(String(64), default="")
    #: The editor's choices, kept across re-imports and recomposes
    #: (:mod:`newsletter.editorial`): subject, preheader, note, dropped and moved parts, blocks.
    edits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: What the stored rendering was made from: the settings it bakes in (seen through the
    #: edition) and the issue's content hash (:mod:`newsletter.freshness`).
    rendered_inputs: Mapped[dict[str, Any] | None] = mapped_column(default=None)

    edition: Mapped[Edition] = relationship(lazy="joined")


Index("ix_items_date", Item.date)
Index("ix_issues_date", Issue.date)

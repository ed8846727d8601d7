"""Audience: lists, subscribers, their per-list subscriptions, events and suppressions."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from newsletter.models.base import Base, enum_type, utcnow


class SubscriptionStatus(enum.StrEnum):
    """State of one subscriber on one list."""

    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"


class SubscriberStatus(enum.StrEnum):
    """Global state of an address; anything but OK stops all mail to it."""

    OK = "ok"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    ERASED = "erased"


class EventKind(enum.StrEnum):
    """Kinds of recorded transitions."""

    SUBSCRIBED = "subscribed"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    SOFT_BOUNCED = "soft_bounced"
    COMPLAINED = "complained"
    ERASED = "erased"
    #: The person chose another language on their preference page.
    LANGUAGE_CHANGED = "language_changed"
    #: A confirmation email went out (``subscribers confirm-pending``: never twice).
    CONFIRMATION_SENT = "confirmation_sent"
    #: The list was renamed or removed by an operator (the detail says how).
    LIST_CHANGED = "list_changed"
    #: The person's own tracking choice changed (on, off, or the list decides).
    TRACKING_CHANGED = "tracking_changed"
    #: The welcome email of a list went out after a confirmed sign-up (never twice).
    WELCOMED = "welcomed"


class MailingList(Base):
    """A named list; an issue is sent to one list.

    A removed list (``removed_at`` set) keeps its row, its subscriptions and their events, so
    that who left it is never forgotten; it is found by no name lookup until it is created
    again, which brings it back with the unsubscribes it remembers.
    """

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class Subscriber(Base):
    """A person. ``email`` is normalized (email-validator) and NULL once erased.

    ``email_hash`` (SHA-256 of the normalized, lower-cased address) survives erasure so the
    address stays suppressed if it comes back.
    """

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    email_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(20), default="")
    #: Open and click tracking: None follows the list; False declines it (whatever the list
    #: says), True consents.
    tracking: Mapped[bool | None] = mapped_column(default=None)
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[SubscriberStatus] = mapped_column(
        enum_type(SubscriberStatus), default=SubscriberStatus.OK
    )
    soft_bounces: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="subscriber", cascade="all, delete-orphan"
    )


class Subscription(Base):
    """One subscriber on one list, with its state."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("subscriber_id", "list_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    status: Mapped[SubscriptionStatus] = mapped_column(
        enum_type(SubscriptionStatus), default=SubscriptionStatus.PENDING
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    subscriber: Mapped[Subscriber] = relationship(back_populates="subscriptions")
    mailing_list: Mapped[MailingList] = relationship()


class SubscriberEvent(Base):
    """An append-only record of a transition: when, why, and through which issue."""

    __tablename__ = "subscriber_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int | None] = mapped_column(ForeignKey("lists.id", ondelete="SET NULL"))
    kind: Mapped[EventKind] = mapped_column(enum_type(EventKind))
    #: How it happened: one-click, link, operator, complaint, import, form, sns, ...
    method: Mapped[str] = mapped_column(String(40), default="")
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Suppression(Base):
    """An address hash that must never be mailed again (erased, bounced, complained)."""

    __tablename__ = "suppressions"

    email_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    reason: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index(
    "ix_subscriptions_list_status",
    Subscription.list_id,
    Subscription.status,
    Subscription.subscriber_id,
)
Index("ix_subscriber_events_subscriber", SubscriberEvent.subscriber_id)
Index("ix_subscriber_events_created", SubscriberEvent.created_at)

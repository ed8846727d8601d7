"""Feedback from the mail service: every SES event, per-list tracking, and guard overrides."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from newsletter.models.base import Base, enum_type, utcnow


class DeliveryEventType(enum.StrEnum):
    """The SES event types we record (configuration-set event publishing names, snake_case)."""

    SEND = "send"
    DELIVERY = "delivery"
    BOUNCE = "bounce"
    COMPLAINT = "complaint"
    REJECT = "reject"
    DELIVERY_DELAY = "delivery_delay"
    RENDERING_FAILURE = "rendering_failure"
    OPEN = "open"
    CLICK = "click"
    SUBSCRIPTION = "subscription"


class DeliveryEvent(Base):
    """One SES event about one sent message, recorded once (``event_key`` is unique).

    ``message_id`` is the SES message id the event names; ``delivery_id`` the ledger row it
    belongs to, NULL while (or if ever) no delivery carries that message id.
    """

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The event's identity: type, SES message id and what tells two events of one message
    #: apart (the feedback id of a bounce or complaint, the time of an open, ...).
    event_key: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[DeliveryEventType] = mapped_column(enum_type(DeliveryEventType))
    occurred_at: Mapped[dt.datetime] = mapped_column()
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    message_id: Mapped[str] = mapped_column(String(200), default="")
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), default=None
    )
    #: Bounces: Permanent, Transient or Undetermined, and SES's sub-type.
    bounce_type: Mapped[str] = mapped_column(String(20), default="")
    bounce_subtype: Mapped[str] = mapped_column(String(40), default="")
    #: The SMTP diagnostic of a bounce, the reason of a reject or a rendering failure, the
    #: delay type of a delay, the feedback type of a complaint.
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    #: Clicks: the URL and the ``link`` tag the send put on the anchor (see tracking).
    link: Mapped[str] = mapped_column(Text, default="")
    link_tag: Mapped[str] = mapped_column(String(100), default="")


class ListTracking(Base):
    """A list whose mail is sent with open and click tracking (no row: not tracked)."""

    __tablename__ = "list_tracking"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    enabled_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class GuardOverride(Base):
    """A send started with ``--force`` although the list's rates were over a threshold."""

    __tablename__ = "guard_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("issues.id", ondelete="SET NULL"), default=None
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_delivery_events_delivery_type", DeliveryEvent.delivery_id, DeliveryEvent.type)
Index("ix_delivery_events_message_id", DeliveryEvent.message_id)

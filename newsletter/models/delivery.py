"""Delivery: the ledger of one row per (issue, subscriber), and the send runs that own it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from newsletter.models.base import Base, enum_type, utcnow


class DeliveryState(enum.StrEnum):
    """State of one message in the ledger."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DEFERRED = "deferred"
    FAILED = "failed"
    SKIPPED = "skipped"


class SendRunStatus(enum.StrEnum):
    """State of one run of `send issue`."""

    RUNNING = "running"
    FINISHED = "finished"
    STOPPED = "stopped"


class Delivery(Base):
    """One (issue, subscriber) message: the exactly-once ledger."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("issue_id", "subscriber_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(ForeignKey("subscribers.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    state: Mapped[DeliveryState] = mapped_column(
        enum_type(DeliveryState), default=DeliveryState.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    message_id: Mapped[str | None] = mapped_column(String(200), default=None)
    error: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class SendRun(Base):
    """A send of an issue to a list. At most one RUNNING row per issue (a lock with a heartbeat)."""

    __tablename__ = "send_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"))
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    status: Mapped[SendRunStatus] = mapped_column(
        enum_type(SendRunStatus), default=SendRunStatus.RUNNING
    )
    owner: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    stop_reason: Mapped[str] = mapped_column(Text, default="")
    #: Set only while running: a unique column that makes "one running send per issue" a
    #: database constraint rather than a race (NULLs do not collide).
    running_issue_id: Mapped[int | None] = mapped_column(unique=True, default=None)


Index("ix_deliveries_issue_state", Delivery.issue_id, Delivery.state, Delivery.subscriber_id)

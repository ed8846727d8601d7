"""Delivery: the ledger of one row per (issue, subscriber), and the send runs that own it."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

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
    #: A run crashed while this row was ``sending``: SES may or may not have taken it. Kept
    #: after the row is settled (sent again, or skipped), for the record.
    uncertain: Mapped[bool] = mapped_column(default=False)


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
    #: Messages a second for the whole run (None: no limit), shared by its live workers.
    rate: Mapped[float | None] = mapped_column(default=None)
    #: The run's rate clock: the wall-clock time (Unix seconds) of its next free send slot.
    #: Workers take slots from it in small blocks (:mod:`newsletter.sending.worker.rate`),
    #: so together they never go over ``rate`` and one's unused pace goes to the others.
    rate_next: Mapped[float | None] = mapped_column(default=None)
    #: What is left of the provider's 24-hour quota for this run (None: no limit); workers
    #: take from it in small grants, so the budget is the run's, not a worker's.
    quota_left: Mapped[float | None] = mapped_column(default=None)
    #: ``resend`` or ``skip``: what workers do with rows a dead worker left ``sending``.
    uncertain_policy: Mapped[str] = mapped_column(String(10), default="resend")
    #: ``send`` or ``retry``.
    mode: Mapped[str] = mapped_column(String(10), default="send")
    #: What was decided once when the run was planned, for every worker on every path to
    #: read (:class:`newsletter.sending.decision.RunDecision`): the guard's verdict (and a
    #: --force, by whom and when), the list's tracking and configuration set, the options,
    #: the rendering sent. None for runs planned before it was recorded.
    decision: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class SliceState(enum.StrEnum):
    """State of one slice of a run's work."""

    OPEN = "open"
    TAKEN = "taken"
    DONE = "done"


class SendWorker(Base):
    """One worker process (or Lambda invocation) working a run, with its heartbeat and counts."""

    __tablename__ = "send_workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("send_runs.id", ondelete="CASCADE"), index=True)
    owner: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: The rate this worker drew from the run's clock over its last heartbeat (messages a
    #: second); None while the run has no limit.
    share: Mapped[float | None] = mapped_column(default=None)
    #: False once the worker ended.
    live: Mapped[bool] = mapped_column(default=True)
    sent: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    deferred: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    stop_reason: Mapped[str] = mapped_column(Text, default="")


class SendSlice(Base):
    """A range of subscriber ids of a run: the unit a worker takes (and an SQS message)."""

    __tablename__ = "send_slices"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("send_runs.id", ondelete="CASCADE"), index=True)
    first_subscriber_id: Mapped[int] = mapped_column()
    last_subscriber_id: Mapped[int] = mapped_column()
    rows: Mapped[int] = mapped_column(default=0)
    state: Mapped[SliceState] = mapped_column(enum_type(SliceState), default=SliceState.OPEN)
    worker_id: Mapped[int | None] = mapped_column(default=None)
    taken: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


Index("ix_deliveries_issue_state", Delivery.issue_id, Delivery.state, Delivery.subscriber_id)
# SES feedback (bounces, complaints) finds its delivery by SES's message id.
Index("ix_deliveries_message_id", Delivery.message_id)

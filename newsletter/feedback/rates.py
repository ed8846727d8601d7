"""Bounce and complaint rates, the way SES counts them, and the thresholds they answer to.

A rate is over the messages sent (ledger rows ``sent``): the bounce rate counts hard bounces
only (SES's reputation metric ignores soft ones), the complaint rate every message that drew
a complaint. Each message counts once however many events it drew. Rates are kept as exact
fractions, so that 30 complaints in 10,000 messages is 0.30% and at the 0.3% threshold, not
a float a hair under it.

An event belongs to a delivery by the delivery id :func:`~newsletter.feedback.apply.apply_event`
set, or, for an event SES published before the ledger recorded the message id, by the
message id: :func:`event_of_delivery` joins them when they are read; nothing is repaired.
Rates live here, with the feedback stage, because the send guard (here) and the reports
(above the send) both read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from newsletter.feedback.events import PERMANENT
from newsletter.models import Delivery, DeliveryEvent, DeliveryEventType, DeliveryState

#: SES reviews an account at a 5% bounce rate and may pause it at 10%.
SES_REVIEW_BOUNCE = Fraction(5, 100)
SES_PAUSE_BOUNCE = Fraction(10, 100)
#: SES reviews at a 0.1% complaint rate and may pause sending at 0.5%.
SES_REVIEW_COMPLAINT = Fraction(1, 1000)
SES_PAUSE_COMPLAINT = Fraction(5, 1000)
#: Gmail's bulk sender rules: a spam rate at or above 0.3% gets mail rejected.
GMAIL_SPAM = Fraction(3, 1000)


def percent(rate: Fraction | None) -> str:
    """``0.30%``: two decimals (``-`` when nothing was sent)."""
    return "-" if rate is None else f"{float(rate) * 100:.2f}%"


@dataclass(frozen=True)
class Rates:
    """Messages sent, and how many of them hard-bounced or drew a complaint."""

    sent: int = 0
    hard_bounced: int = 0
    complained: int = 0

    @property
    def bounce_rate(self) -> Fraction | None:
        """Hard bounces over messages sent; None when nothing was sent."""
        return Fraction(self.hard_bounced, self.sent) if self.sent else None

    @property
    def complaint_rate(self) -> Fraction | None:
        """Complaints over messages sent; None when nothing was sent."""
        return Fraction(self.complained, self.sent) if self.sent else None


def event_of_delivery() -> ColumnElement[bool]:
    """The join of ``delivery_events`` to ``deliveries``: by the delivery id the event was
    recorded with, else (an event that came before the ledger had its message id) by the
    SES message id."""
    return or_(
        DeliveryEvent.delivery_id == Delivery.id,
        and_(
            DeliveryEvent.delivery_id.is_(None),
            DeliveryEvent.message_id != "",  # an event that names no message joins nothing
            DeliveryEvent.message_id == Delivery.message_id,
        ),
    )


def _has(kind: DeliveryEventType, *, hard: bool = False) -> Select[int]:
    where = [event_of_delivery(), DeliveryEvent.type == kind]
    if hard:
        where.append(DeliveryEvent.bounce_type == PERMANENT)
    return select(DeliveryEvent.id).where(and_(*where))


def rates_by_issue(
    session: Session, *, list_id: int, since: dt.datetime, until: dt.datetime | None = None
) -> dict[int, Rates]:
    """:class:`Rates` per issue id of the messages to ``list_id`` sent in [since, until)."""
    hard = case((_has(DeliveryEventType.BOUNCE, hard=True).exists(), 1), else_=0)
    complaint = case((_has(DeliveryEventType.COMPLAINT).exists(), 1), else_=0)
    where = [
        Delivery.list_id == list_id,
        Delivery.state == DeliveryState.SENT,
        Delivery.sent_at >= since,
    ]
    if until is not None:
        where.append(Delivery.sent_at < until)
    rows = session.execute(
        select(Delivery.issue_id, func.count(), func.sum(hard), func.sum(complaint))
        .where(*where)
        .group_by(Delivery.issue_id)
    ).all()
    return {row[0]: Rates(row[1], int(row[2] or 0), int(row[3] or 0)) for row in rows}


def total(rates: dict[int, Rates]) -> Rates:
    """The sum over issues."""
    return Rates(
        sum(r.sent for r in rates.values()),
        sum(r.hard_bounced for r in rates.values()),
        sum(r.complained for r in rates.values()),
    )

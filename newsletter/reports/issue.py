"""``report issue``: what happened to one issue's mail after SES took it.

Counts are of messages (ledger rows), each counted once per kind however many events it
drew; ``total`` opens and clicks count every event. Unsubscribes are the people who left
through this issue (its link, the one-click header, or a complaint), by method.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from newsletter.editions import get_edition
from newsletter.errors import NotFoundError
from newsletter.feedback.events import PERMANENT
from newsletter.feedback.rates import Rates, event_of_delivery, percent
from newsletter.models import (
    Delivery,
    DeliveryEvent,
    DeliveryEventType,
    DeliveryState,
    EventKind,
    GuardOverride,
    Issue,
    ListTracking,
    MailingList,
    SubscriberEvent,
)
from newsletter.sending.breaker import PAUSED
from newsletter.sending.runs import last_run


@dataclass(frozen=True)
class LinkClicks:
    """Clicks on one link: by its tag when the send tagged it, else by URL."""

    link: str
    unique: int
    total: int


@dataclass
class IssueReport:
    """Everything known about the mail of one issue."""

    date: dt.date
    subject: str
    lists: list[str]
    edition: str = ""
    #: Why the latest send of the issue paused itself ("" when it did not).
    paused: str = ""
    recipients: int = 0
    sent: int = 0
    delivered: int = 0
    delayed: int = 0
    bounced_hard: int = 0
    bounced_soft: int = 0
    rejected: int = 0
    rendering_failures: int = 0
    complaints: int = 0
    unsubscribes: dict[str, int] = field(default_factory=dict)
    tracked: bool = False
    opens_unique: int = 0
    opens_total: int = 0
    clicks_unique: int = 0
    clicks_total: int = 0
    links: list[LinkClicks] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)

    @property
    def rates(self) -> Rates:
        """The issue's bounce and complaint rates."""
        return Rates(self.sent, self.bounced_hard, self.complaints)

    def delivery_rows(self) -> list[list[object]]:
        """(label, messages) rows of what became of the mail: counts, rates, unsubscribes
        by method; for the text and HTML reports alike."""
        rows: list[list[object]] = [
            ["recipients", self.recipients],
            ["sent", self.sent],
            ["delivered", self.delivered],
            ["delayed", self.delayed],
            ["bounced (hard)", self.bounced_hard],
            ["bounced (soft)", self.bounced_soft],
            ["rejected", self.rejected],
            ["rendering failures", self.rendering_failures],
            ["complaints", self.complaints],
            ["bounce rate", percent(self.rates.bounce_rate)],
            ["complaint rate", percent(self.rates.complaint_rate)],
        ]
        rows += [[f"unsubscribed ({m})", n] for m, n in sorted(self.unsubscribes.items())]
        return rows

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready; opens and clicks only when the issue was tracked."""
        out: dict[str, Any] = {
            "edition": self.edition,
            "paused": self.paused,
            "date": self.date.isoformat(),
            "subject": self.subject,
            "lists": self.lists,
            "recipients": self.recipients,
            "sent": self.sent,
            "delivered": self.delivered,
            "delayed": self.delayed,
            "bounced": {"hard": self.bounced_hard, "soft": self.bounced_soft},
            "rejected": self.rejected,
            "rendering_failures": self.rendering_failures,
            "complaints": self.complaints,
            "bounce_rate": percent(self.rates.bounce_rate),
            "complaint_rate": percent(self.rates.complaint_rate),
            "unsubscribes": dict(sorted(self.unsubscribes.items())),
            "tracked": self.tracked,
            "forced": self.forced,
        }
        if self.tracked:
            out["opens"] = {"unique": self.opens_unique, "total": self.opens_total}
            out["clicks"] = {"unique": self.clicks_unique, "total": self.clicks_total}
            out["links"] = [
                {"link": link.link, "unique": link.unique, "total": link.total}
                for link in self.links
            ]
        return out


def _event_counts(session: Session, issue_id: int) -> list[tuple[Any, ...]]:
    hard = case((DeliveryEvent.bounce_type == PERMANENT, True), else_=False)
    return [
        tuple(row)
        for row in session.execute(
            select(
                DeliveryEvent.type,
                hard,
                func.count(distinct(Delivery.id)),
                func.count(),
            )
            .join(Delivery, event_of_delivery())
            .where(Delivery.issue_id == issue_id)
            .group_by(DeliveryEvent.type, hard)
        ).all()
    ]


def _links(session: Session, issue_id: int) -> list[LinkClicks]:
    name = case((DeliveryEvent.link_tag != "", DeliveryEvent.link_tag), else_=DeliveryEvent.link)
    rows = session.execute(
        select(name, func.count(distinct(Delivery.id)), func.count())
        .join(Delivery, event_of_delivery())
        .where(Delivery.issue_id == issue_id, DeliveryEvent.type == DeliveryEventType.CLICK)
        .group_by(name)
    ).all()
    links = [LinkClicks(str(r[0]), int(r[1]), int(r[2])) for r in rows]
    return sorted(links, key=lambda link: (-link.total, link.link))


def issue_report(session: Session, *, date: dt.date, edition: str | None = None) -> IssueReport:
    """The report of the issue of ``date`` in ``edition`` (default: the default one);
    :class:`NotFoundError` if there is none."""
    chosen = get_edition(session, edition)
    issue = session.scalar(select(Issue).where(Issue.edition_id == chosen.id, Issue.date == date))
    if issue is None:
        where = "" if chosen.is_default else f" in edition {chosen.slug!r}"
        raise NotFoundError(f"no issue for {date.isoformat()}{where}")
    list_rows = session.execute(
        select(MailingList.id, MailingList.name)
        .where(MailingList.id.in_(select(Delivery.list_id).where(Delivery.issue_id == issue.id)))
        .order_by(MailingList.name)
    ).all()
    last = last_run(session, issue_id=issue.id)
    latest = last.stop_reason if last is not None else None
    report = IssueReport(
        paused=latest if latest and latest.startswith(PAUSED) else "",
        edition=chosen.slug,
        date=issue.date,
        subject=issue.rendered_subject or issue.subject,
        lists=[r[1] for r in list_rows],
    )
    states = dict(
        session.execute(
            select(Delivery.state, func.count())
            .where(Delivery.issue_id == issue.id)
            .group_by(Delivery.state)
        ).all()
    )
    report.recipients = sum(n for s, n in states.items() if s is not DeliveryState.SKIPPED)
    report.sent = states.get(DeliveryState.SENT, 0)
    for row in _event_counts(session, issue.id):
        kind, hard, unique, count = DeliveryEventType(row[0]), bool(row[1]), row[2], row[3]
        if kind is DeliveryEventType.DELIVERY:
            report.delivered = unique
        elif kind is DeliveryEventType.DELIVERY_DELAY:
            report.delayed = unique
        elif kind is DeliveryEventType.BOUNCE and hard:
            report.bounced_hard = unique
        elif kind is DeliveryEventType.BOUNCE:
            report.bounced_soft = unique
        elif kind is DeliveryEventType.REJECT:
            report.rejected = unique
        elif kind is DeliveryEventType.RENDERING_FAILURE:
            report.rendering_failures = unique
        elif kind is DeliveryEventType.COMPLAINT:
            report.complaints = unique
        elif kind is DeliveryEventType.OPEN:
            report.opens_unique, report.opens_total = unique, count
        elif kind is DeliveryEventType.CLICK:
            report.clicks_unique, report.clicks_total = unique, count
    report.unsubscribes = {
        str(method): int(n)
        for method, n in session.execute(
            select(SubscriberEvent.method, func.count(distinct(SubscriberEvent.subscriber_id)))
            .where(
                SubscriberEvent.issue_id == issue.id,
                SubscriberEvent.kind == EventKind.UNSUBSCRIBED,
            )
            .group_by(SubscriberEvent.method)
        ).all()
    }
    tracked_list = session.scalar(
        select(func.count())
        .select_from(ListTracking)
        .where(ListTracking.list_id.in_([r[0] for r in list_rows]))
    )
    report.tracked = bool(tracked_list) or bool(report.opens_total or report.clicks_total)
    if report.tracked:
        report.links = _links(session, issue.id)
    report.forced = [
        f"{created.isoformat(timespec='seconds')}: {reason}"
        for created, reason in session.execute(
            select(GuardOverride.created_at, GuardOverride.reason)
            .where(GuardOverride.issue_id == issue.id)
            .order_by(GuardOverride.id)
        ).all()
    ]
    return report

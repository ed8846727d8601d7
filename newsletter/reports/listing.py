"""``report list``: a list over the last N days: its growth, and each issue's rates against
the thresholds of SES (review at 5% bounces / 0.1% complaints, pause risk at 10% / 0.5%) and
Gmail (0.3% spam).

Growth counts confirmed subscriptions: one is active from its confirmation until it is
unsubscribed (addresses that bounced or complained are unsubscribed from lists by then, or
no longer mailable: see ``lists list`` for who would get the next issue).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from sqlalchemy import distinct, exists, func, or_, select
from sqlalchemy.orm import Session

from newsletter.audience.lists import get_list
from newsletter.editions import list_editions, list_name_of
from newsletter.feedback.rates import (
    GMAIL_SPAM,
    SES_PAUSE_BOUNCE,
    SES_PAUSE_COMPLAINT,
    SES_REVIEW_BOUNCE,
    SES_REVIEW_COMPLAINT,
    Rates,
    event_of_delivery,
    percent,
    rates_by_issue,
    total,
)
from newsletter.models import (
    DeliveryEvent,
    EventKind,
    GuardOverride,
    Issue,
    SubscriberEvent,
)
from newsletter.models import Subscription as Sub
from newsletter.settings import Settings

THRESHOLDS: dict[str, Fraction] = {
    "ses_review_bounce": SES_REVIEW_BOUNCE,
    "ses_pause_bounce": SES_PAUSE_BOUNCE,
    "ses_review_complaint": SES_REVIEW_COMPLAINT,
    "ses_pause_complaint": SES_PAUSE_COMPLAINT,
    "gmail_spam": GMAIL_SPAM,
}


@dataclass(frozen=True)
class GrowthDay:
    """One day of the list: confirmations, unsubscribes, active at the end of the day (UTC)."""

    day: dt.date
    new: int
    unsubscribed: int
    active: int


@dataclass(frozen=True)
class IssueRates:
    """One issue's messages to the list and what came back."""

    date: dt.date
    rates: Rates
    unsubscribed: int

    @property
    def unsubscribe_rate(self) -> Fraction | None:
        """People who left through this issue over messages sent."""
        return Fraction(self.unsubscribed, self.rates.sent) if self.rates.sent else None

    def warnings(self) -> list[str]:
        """The thresholds this issue reached, worst first."""
        out: list[str] = []
        bounce, complaint = self.rates.bounce_rate, self.rates.complaint_rate
        if bounce is not None and bounce >= SES_PAUSE_BOUNCE:
            out.append("bounces at SES pause risk")
        elif bounce is not None and bounce >= SES_REVIEW_BOUNCE:
            out.append("bounces at SES review")
        if complaint is not None and complaint >= SES_PAUSE_COMPLAINT:
            out.append("complaints at SES pause risk")
        elif complaint is not None and complaint >= GMAIL_SPAM:
            out.append("complaints at Gmail's limit")
        elif complaint is not None and complaint >= SES_REVIEW_COMPLAINT:
            out.append("complaints at SES review")
        return out

    def row(self) -> list[object]:
        """The issue's row of the list report: date, sent, the three rates, thresholds."""
        return [
            self.date.isoformat(),
            self.rates.sent,
            percent(self.rates.bounce_rate),
            percent(self.rates.complaint_rate),
            percent(self.unsubscribe_rate),
            ", ".join(self.warnings()),
        ]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "date": self.date.isoformat(),
            "sent": self.rates.sent,
            "bounced_hard": self.rates.hard_bounced,
            "complaints": self.rates.complained,
            "unsubscribes": self.unsubscribed,
            "bounce_rate": percent(self.rates.bounce_rate),
            "complaint_rate": percent(self.rates.complaint_rate),
            "unsubscribe_rate": percent(self.unsubscribe_rate),
            "warnings": self.warnings(),
        }


@dataclass
class ListReport:
    """A list over a window of days."""

    list_name: str
    days: int
    since: dt.datetime
    until: dt.datetime
    active_start: int = 0
    growth: list[GrowthDay] = field(default_factory=list)
    issues: list[IssueRates] = field(default_factory=list)
    forced: list[str] = field(default_factory=list)
    unattached_events: int = 0
    #: The editions that send to the list (their slugs).
    editions: list[str] = field(default_factory=list)

    @property
    def totals(self) -> Rates:
        """Every issue of the window together."""
        return total({n: i.rates for n, i in enumerate(self.issues)})

    @property
    def active_end(self) -> int:
        """Active at the end of the window."""
        return self.growth[-1].active if self.growth else self.active_start

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        totals = self.totals
        return {
            "list": self.list_name,
            "editions": self.editions,
            "days": self.days,
            "since": self.since.isoformat(timespec="seconds"),
            "until": self.until.isoformat(timespec="seconds"),
            "subscribers": {
                "active_start": self.active_start,
                "new": sum(g.new for g in self.growth),
                "unsubscribed": sum(g.unsubscribed for g in self.growth),
                "active_end": self.active_end,
            },
            "growth": [
                {
                    "day": g.day.isoformat(),
                    "new": g.new,
                    "unsubscribed": g.unsubscribed,
                    "active": g.active,
                }
                for g in self.growth
            ],
            "issues": [i.as_dict() for i in self.issues],
            "totals": {
                "sent": totals.sent,
                "bounced_hard": totals.hard_bounced,
                "complaints": totals.complained,
                "bounce_rate": percent(totals.bounce_rate),
                "complaint_rate": percent(totals.complaint_rate),
            },
            "thresholds": {k: percent(v) for k, v in THRESHOLDS.items()},
            "forced": self.forced,
            "events_for_unknown_messages": self.unattached_events,
        }


def _growth(
    session: Session, *, list_id: int, since: dt.datetime, until: dt.datetime
) -> tuple[int, list[GrowthDay]]:
    active_start = session.scalar(
        select(func.count())
        .select_from(Sub)
        .where(
            Sub.list_id == list_id,
            Sub.confirmed_at < since,
            or_(Sub.unsubscribed_at.is_(None), Sub.unsubscribed_at >= since),
        )
    )
    joined = session.scalars(
        select(Sub.confirmed_at).where(
            Sub.list_id == list_id, Sub.confirmed_at >= since, Sub.confirmed_at < until
        )
    ).all()
    left = session.scalars(
        select(Sub.unsubscribed_at).where(
            Sub.list_id == list_id,
            Sub.confirmed_at.is_not(None),
            Sub.unsubscribed_at >= since,
            Sub.unsubscribed_at < until,
        )
    ).all()
    new = Counter(t.date() for t in joined if t is not None)
    gone = Counter(t.date() for t in left if t is not None)
    active = int(active_start or 0)
    days: list[GrowthDay] = []
    day = since.date()
    while day <= until.date():
        active += new[day] - gone[day]
        days.append(GrowthDay(day, new[day], gone[day], active))
        day += dt.timedelta(days=1)
    return int(active_start or 0), days


def list_report(
    session: Session,
    *,
    list_name: str,
    days: int = 90,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> ListReport:
    """The report of the list called ``list_name`` over the ``days`` days up to ``now``
    (with ``settings``, it names the editions that send to the list)."""
    mailing_list = get_list(session, list_name)
    until = now or dt.datetime.now(dt.UTC)
    since = until - dt.timedelta(days=days)
    report = ListReport(mailing_list.name, days, since, until)
    if settings is not None:
        report.editions = [
            e.slug for e in list_editions(session) if list_name_of(settings, e) == mailing_list.name
        ]
    report.active_start, report.growth = _growth(
        session, list_id=mailing_list.id, since=since, until=until
    )
    by_issue = rates_by_issue(session, list_id=mailing_list.id, since=since, until=until)
    dates = dict(
        session.execute(select(Issue.id, Issue.date).where(Issue.id.in_(list(by_issue)))).all()
    )
    left = dict(
        session.execute(
            select(SubscriberEvent.issue_id, func.count(distinct(SubscriberEvent.subscriber_id)))
            .where(
                SubscriberEvent.list_id == mailing_list.id,
                SubscriberEvent.kind == EventKind.UNSUBSCRIBED,
                SubscriberEvent.issue_id.in_(list(by_issue)),
            )
            .group_by(SubscriberEvent.issue_id)
        ).all()
    )
    report.issues = sorted(
        (IssueRates(dates[i], r, int(left.get(i, 0))) for i, r in by_issue.items()),
        key=lambda issue: issue.date,
    )
    report.forced = [
        f"{created.isoformat(timespec='seconds')}: {reason}"
        for created, reason in session.execute(
            select(GuardOverride.created_at, GuardOverride.reason)
            .where(
                GuardOverride.list_id == mailing_list.id,
                GuardOverride.created_at >= since,
            )
            .order_by(GuardOverride.id)
        ).all()
    ]
    report.unattached_events = int(
        session.scalar(
            select(func.count())
            .select_from(DeliveryEvent)
            .where(
                DeliveryEvent.delivery_id.is_(None),
                ~exists().where(event_of_delivery()),
                DeliveryEvent.received_at >= since,
                DeliveryEvent.received_at < until,
            )
        )
        or 0
    )
    return report

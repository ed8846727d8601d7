"""The figures an operator asks for: counts by status, unsubscribes per issue, growth."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from newsletter.audience.lists import get_list
from newsletter.audience.mailable import good_standing
from newsletter.db import dialect_name
from newsletter.models import (
    EventKind,
    Issue,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.models.base import utcnow

GROWTH_KINDS = (
    EventKind.SUBSCRIBED,
    EventKind.CONFIRMED,
    EventKind.UNSUBSCRIBED,
    EventKind.BOUNCED,
    EventKind.COMPLAINED,
)


def _utc_day(session: Session) -> ColumnElement[Any]:
    # SQLite stores UTC timestamps as text; PostgreSQL's date() follows the session time zone.
    if dialect_name(session) == "postgresql":
        return func.date(func.timezone("UTC", SubscriberEvent.created_at))
    return func.date(SubscriberEvent.created_at)


def _day_key(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def subscriber_stats(
    session: Session,
    *,
    list_name: str | None = None,
    days: int = 30,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Counts by status, unsubscribes per issue and method, and daily events for ``days`` days.

    With ``list_name``, everything is about that list: its subscriptions, its members'
    global statuses, the unsubscribes from it, and the bounces and complaints of its members.
    """
    list_id = None if list_name is None else get_list(session, list_name).id
    end = (now or utcnow()).astimezone(dt.UTC)
    first_day = end.date() - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first_day, dt.time(), tzinfo=dt.UTC)

    subscriptions = select(Subscription.status, func.count()).group_by(Subscription.status)
    people = select(Subscriber.status, func.count()).group_by(Subscriber.status)
    mailable = (
        select(func.count())
        .select_from(Subscription)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(Subscription.status == SubscriptionStatus.ACTIVE, good_standing())
    )
    unsubscribes = (
        select(SubscriberEvent.issue_id, Issue.date, SubscriberEvent.method, func.count())
        .outerjoin(Issue, Issue.id == SubscriberEvent.issue_id)
        .where(SubscriberEvent.kind == EventKind.UNSUBSCRIBED)
        .group_by(SubscriberEvent.issue_id, Issue.date, SubscriberEvent.method)
    )
    day = _utc_day(session)
    growth = (
        select(day, SubscriberEvent.kind, func.count())
        .where(SubscriberEvent.created_at >= start, SubscriberEvent.kind.in_(GROWTH_KINDS))
        .group_by(day, SubscriberEvent.kind)
    )
    if list_id is not None:
        members = select(Subscription.subscriber_id).where(Subscription.list_id == list_id)
        subscriptions = subscriptions.where(Subscription.list_id == list_id)
        people = people.where(Subscriber.id.in_(members))
        mailable = mailable.where(Subscription.list_id == list_id)
        unsubscribes = unsubscribes.where(SubscriberEvent.list_id == list_id)
        growth = growth.where(
            or_(
                SubscriberEvent.list_id == list_id,
                and_(
                    SubscriberEvent.list_id.is_(None),
                    SubscriberEvent.subscriber_id.in_(members),
                ),
            )
        )

    by_subscription = {SubscriptionStatus(s).value: n for s, n in session.execute(subscriptions)}
    by_person = {SubscriberStatus(s).value: n for s, n in session.execute(people)}
    daily = {
        (first_day + dt.timedelta(days=i)).isoformat(): {k.value: 0 for k in GROWTH_KINDS}
        for i in range(days)
    }
    for when, kind, n in session.execute(growth):
        key = _day_key(when)
        if key in daily:
            daily[key][EventKind(kind).value] = n
    # Newest issue first; unsubscribes that came with no issue (operator, erasure) last.
    found = sorted(
        session.execute(unsubscribes).all(),
        key=lambda r: (r[1] is None, -(r[1] or dt.date.min).toordinal(), r[2]),
    )
    unsubscribe_rows = [
        {"issue_id": issue_id, "issue_date": issue_date, "method": method, "count": n}
        for issue_id, issue_date, method, n in found
    ]
    return {
        "list": None if list_name is None else list_name.strip(),
        "subscriptions": {s.value: by_subscription.get(s.value, 0) for s in SubscriptionStatus},
        "mailable": session.scalar(mailable) or 0,
        "subscribers": {s.value: by_person.get(s.value, 0) for s in SubscriberStatus},
        "unsubscribes": unsubscribe_rows,
        "growth": {
            "from": first_day.isoformat(),
            "to": end.date().isoformat(),
            "totals": {k.value: sum(d[k.value] for d in daily.values()) for k in GROWTH_KINDS},
            "daily": [{"date": d, **counts} for d, counts in daily.items()],
        },
    }

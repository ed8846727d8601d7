"""Reading subscribers back for operators: filtered lists, and one person's full record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from newsletter.audience.lists import get_list
from newsletter.audience.subscribe import find_subscriber
from newsletter.errors import InputError, NotFoundError
from newsletter.models import (
    Issue,
    MailingList,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)

StatusFilter = SubscriptionStatus | SubscriberStatus

#: Every value ``--status`` takes: a subscription's state, or an address's global state.
STATUS_CHOICES = tuple(s.value for s in SubscriptionStatus) + tuple(
    s.value for s in SubscriberStatus
)


def parse_status(value: str | None) -> StatusFilter | None:
    """``pending``/``active``/``unsubscribed`` (per list) or ``ok``/``bounced``/... (global)."""
    if value is None:
        return None
    cleaned = value.strip().lower()
    for kind in (SubscriptionStatus, SubscriberStatus):
        try:
            return kind(cleaned)
        except ValueError:
            continue
    raise InputError(f"unknown status {value!r} (one of: {', '.join(STATUS_CHOICES)})")


def filtered_subscriptions(
    session: Session, *, list_name: str | None, status: StatusFilter | None
) -> Select[Subscriber, Subscription, MailingList]:
    """(subscriber, subscription, list) rows matching the filters, by subscriber then list."""
    query = (
        select(Subscriber, Subscription, MailingList)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .order_by(Subscriber.id, MailingList.name)
    )
    if list_name is not None:
        query = query.where(Subscription.list_id == get_list(session, list_name).id)
    if isinstance(status, SubscriptionStatus):
        query = query.where(Subscription.status == status)
    elif isinstance(status, SubscriberStatus):
        query = query.where(Subscriber.status == status)
    return query


def list_subscribers(
    session: Session,
    *,
    list_name: str | None = None,
    status: StatusFilter | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Subscribers with their matching subscriptions (``lists``: list name → status)."""
    people: dict[int, dict[str, Any]] = {}
    query = filtered_subscriptions(session, list_name=list_name, status=status)
    for subscriber, subscription, mailing_list in session.execute(query):
        entry = people.get(subscriber.id)
        if entry is None:
            if limit is not None and len(people) >= limit:
                break
            entry = people[subscriber.id] = {
                "id": subscriber.id,
                "email": subscriber.email,
                "name": subscriber.name,
                "language": subscriber.language,
                "status": subscriber.status.value,
                "created_at": subscriber.created_at,
                "lists": {},
            }
        entry["lists"][mailing_list.name] = subscription.status.value
    return list(people.values())


def subscriber_detail(session: Session, email: str) -> dict[str, Any]:
    """One person: profile, status per list, and every event, oldest first.

    Found by address in any case; an erased person is found too (by the hash) and shows
    ``email`` None. :class:`NotFoundError` if the address was never seen.
    """
    subscriber = find_subscriber(session, email)
    if subscriber is None:
        raise NotFoundError("no subscriber with that address")
    subscriptions = session.scalars(
        select(Subscription)
        .where(Subscription.subscriber_id == subscriber.id)
        .options(selectinload(Subscription.mailing_list))
        .order_by(Subscription.list_id)
    )
    list_names = dict(session.execute(select(MailingList.id, MailingList.name)).all())
    events = session.execute(
        select(SubscriberEvent, Issue.date)
        .outerjoin(Issue, Issue.id == SubscriberEvent.issue_id)
        .where(SubscriberEvent.subscriber_id == subscriber.id)
        .order_by(SubscriberEvent.created_at, SubscriberEvent.id)
    )
    return {
        "id": subscriber.id,
        "email": subscriber.email,
        "name": subscriber.name,
        "language": subscriber.language,
        "attributes": subscriber.attributes,
        "status": subscriber.status.value,
        "soft_bounces": subscriber.soft_bounces,
        "created_at": subscriber.created_at,
        "subscriptions": [
            {
                "list": s.mailing_list.name,
                "status": s.status.value,
                "created_at": s.created_at,
                "confirmed_at": s.confirmed_at,
                "unsubscribed_at": s.unsubscribed_at,
            }
            for s in subscriptions
        ],
        "events": [
            {
                "at": e.created_at,
                "kind": e.kind.value,
                "list": list_names.get(e.list_id) if e.list_id is not None else None,
                "method": e.method,
                "issue_id": e.issue_id,
                "issue_date": issue_date,
                "detail": e.detail,
            }
            for e, issue_date in events
        ],
    }

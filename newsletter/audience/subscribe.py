"""Joining a list: by an operator (or an import), by the person's own sign-up, and confirming.

Suppression rules: an address that unsubscribed from the list, bounced, complained or was
erased is never made active by an operator or an import (outcome ``"suppressed"``). Only the
person's own sign-up can bring back an address that unsubscribed, and only as pending, so it
needs a fresh double opt-in. Bounced, complained and erased addresses stay suppressed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsletter.audience.addresses import email_hash, normalize_email
from newsletter.audience.history import add_event, suppression_reason
from newsletter.audience.lists import get_or_create_list
from newsletter.audience.profile import checked_language, checked_name
from newsletter.db import rowcount
from newsletter.models import (
    EventKind,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.models.base import utcnow

Outcome = Literal["added", "pending", "already", "suppressed", "reactivated_pending"]

#: Methods recorded for the person's own sign-up and confirmation.
FORM_METHOD = "form"
LINK_METHOD = "link"


@dataclass(frozen=True)
class AddResult:
    """What an add or a sign-up did.

    ``outcome``: ``added`` (now active), ``pending`` (new, awaiting double opt-in),
    ``already`` (on the list already, unchanged), ``suppressed`` (refused by the suppression
    rules; ``subscriber``/``subscription`` are the existing rows, if any), or
    ``reactivated_pending`` (an unsubscribed person signed up again: pending once more).
    """

    subscriber: Subscriber | None
    subscription: Subscription | None
    outcome: Outcome


def find_subscriber(session: Session, email: str) -> Subscriber | None:
    """The subscriber with this address (any case, erased ones included), or None.

    Raises :class:`~newsletter.errors.InputError` if ``email`` is not an address.
    """
    return session.scalar(
        select(Subscriber).where(Subscriber.email_hash == email_hash(normalize_email(email)))
    )


def _subscription(session: Session, subscriber_id: int, list_id: int) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
        )
    )


@dataclass(frozen=True)
class _Request:
    address: str
    address_hash: str
    name: str
    language: str
    list_id: int
    subscriber: Subscriber | None
    subscription: Subscription | None
    suppressed: bool


def _prepare(session: Session, *, email: str, list_name: str, name: str, language: str) -> _Request:
    # Every input is checked before anything is written.
    address = normalize_email(email)
    name = checked_name(name)
    language = checked_language(language)
    address_hash = email_hash(address)
    list_id = get_or_create_list(session, list_name).id
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_hash == address_hash))
    subscription = None if subscriber is None else _subscription(session, subscriber.id, list_id)
    suppressed = suppression_reason(session, address_hash) is not None or (
        subscriber is not None and subscriber.status is not SubscriberStatus.OK
    )
    if subscriber is not None and not suppressed:
        # Existing data is never overwritten by an add: only empty fields are filled.
        if name and not subscriber.name:
            subscriber.name = name
        if language and not subscriber.language:
            subscriber.language = language
    return _Request(
        address, address_hash, name, language, list_id, subscriber, subscription, suppressed
    )


def _subscriber_for(session: Session, request: _Request) -> Subscriber:
    if request.subscriber is not None:
        return request.subscriber
    subscriber = Subscriber(
        email=request.address,
        email_hash=request.address_hash,
        name=request.name,
        language=request.language,
        attributes={},
        status=SubscriberStatus.OK,
        soft_bounces=0,
    )
    session.add(subscriber)
    session.flush()
    return subscriber


def _join(
    session: Session, *, subscriber: Subscriber, list_id: int, active: bool, method: str
) -> Subscription:
    now = utcnow()
    subscription = Subscription(
        subscriber_id=subscriber.id,
        list_id=list_id,
        status=SubscriptionStatus.ACTIVE if active else SubscriptionStatus.PENDING,
        created_at=now,
        confirmed_at=now if active else None,
    )
    session.add(subscription)
    kinds = [EventKind.SUBSCRIBED, EventKind.CONFIRMED] if active else [EventKind.SUBSCRIBED]
    for kind in kinds:
        add_event(session, subscriber_id=subscriber.id, list_id=list_id, kind=kind, method=method)
    session.flush()
    return subscription


def _move(
    session: Session,
    subscription: Subscription,
    *,
    from_status: SubscriptionStatus,
    to_status: SubscriptionStatus,
    confirmed_at: dt.datetime | None,
    kind: EventKind,
    method: str,
    detail: str = "",
) -> bool:
    """Move ``subscription`` from ``from_status`` to ``to_status`` and record ``kind``; False
    (and nothing recorded) when it was no longer in ``from_status``."""
    # A conditional UPDATE, so that two requests racing each other record one event.
    changed = session.execute(
        update(Subscription)
        .where(Subscription.id == subscription.id, Subscription.status == from_status)
        .values(status=to_status, confirmed_at=confirmed_at)
    )
    if rowcount(changed) == 0:
        return False
    add_event(
        session,
        subscriber_id=subscription.subscriber_id,
        list_id=subscription.list_id,
        kind=kind,
        method=method,
        detail=detail,
    )
    session.flush()
    session.refresh(subscription)
    return True


def _activate(session: Session, subscription: Subscription, *, method: str) -> bool:
    return _move(
        session,
        subscription,
        from_status=SubscriptionStatus.PENDING,
        to_status=SubscriptionStatus.ACTIVE,
        confirmed_at=utcnow(),
        kind=EventKind.CONFIRMED,
        method=method,
    )


def add_subscriber(
    session: Session,
    *,
    email: str,
    list_name: str,
    name: str = "",
    language: str = "",
    confirmed: bool = False,
    method: str = "operator",
) -> AddResult:
    """An operator's (or an import's) add to ``list_name`` (created on demand).

    Without ``confirmed`` a new subscription is pending (double opt-in); with it, active, and
    a pending one becomes active. Never makes a suppressed address active (see the module
    docstring). Name and language fill empty fields only. Raises
    :class:`~newsletter.errors.InputError` for a bad address, name or language.
    """
    request = _prepare(session, email=email, list_name=list_name, name=name, language=language)
    existing = request.subscription
    if request.suppressed:
        return AddResult(request.subscriber, existing, "suppressed")
    subscriber = _subscriber_for(session, request)
    if existing is None:
        subscription = _join(
            session, subscriber=subscriber, list_id=request.list_id, active=confirmed, method=method
        )
        return AddResult(subscriber, subscription, "added" if confirmed else "pending")
    if existing.status is SubscriptionStatus.UNSUBSCRIBED:
        return AddResult(subscriber, existing, "suppressed")
    if existing.status is SubscriptionStatus.PENDING and confirmed:
        _activate(session, existing, method=method)
        return AddResult(subscriber, existing, "added")
    return AddResult(subscriber, existing, "already")


def request_subscription(
    session: Session, *, email: str, list_name: str, name: str = ""
) -> AddResult:
    """The person's own sign-up (the web form): the subscription becomes or stays pending.

    An unsubscribed subscription becomes pending again (``reactivated_pending``) and needs a
    fresh double opt-in; bounced, complained and erased addresses stay ``suppressed``.
    ``already`` covers both pending (the caller may send the confirmation again) and active.
    The caller must answer the same whatever the outcome: a sign-up form reveals nothing.
    """
    request = _prepare(session, email=email, list_name=list_name, name=name, language="")
    existing = request.subscription
    if request.suppressed:
        return AddResult(request.subscriber, existing, "suppressed")
    subscriber = _subscriber_for(session, request)
    if existing is None:
        subscription = _join(
            session,
            subscriber=subscriber,
            list_id=request.list_id,
            active=False,
            method=FORM_METHOD,
        )
        return AddResult(subscriber, subscription, "pending")
    if existing.status is not SubscriptionStatus.UNSUBSCRIBED:
        return AddResult(subscriber, existing, "already")
    if not _back_to_pending(
        session, existing, method=FORM_METHOD, detail="signed up again after unsubscribing"
    ):
        return AddResult(subscriber, existing, "already")
    return AddResult(subscriber, existing, "reactivated_pending")


def _back_to_pending(
    session: Session, subscription: Subscription, *, method: str, detail: str
) -> bool:
    """unsubscribed → pending (a fresh double opt-in is needed), event ``subscribed``."""
    return _move(
        session,
        subscription,
        from_status=SubscriptionStatus.UNSUBSCRIBED,
        to_status=SubscriptionStatus.PENDING,
        confirmed_at=None,
        kind=EventKind.SUBSCRIBED,
        method=method,
        detail=detail,
    )


def refusal_reason(session: Session, result: AddResult, *, email: str) -> str:
    """Why an add was ``suppressed``: ``erased``, ``bounced``, ``complained`` (the address,
    for every list) or ``unsubscribed`` (the person left this list)."""
    subscriber = result.subscriber
    if subscriber is not None and subscriber.status is not SubscriberStatus.OK:
        return subscriber.status.value
    reason = suppression_reason(session, email_hash(normalize_email(email)))
    if reason in ("erased", "bounced", "complained"):
        return reason
    return "unsubscribed"


def resubscribe(
    session: Session, *, subscriber_id: int, list_id: int, method: str
) -> Literal["pending", "unchanged", "refused"]:
    """The person's own return to a list they left (their preference page): unsubscribed →
    pending (event ``subscribed``, ``method``), so that a fresh double opt-in is needed.

    ``refused`` when the address is bounced, complained, erased or suppressed (it stays
    suppressed); ``unchanged`` when there is no such subscription or it is not unsubscribed.
    """
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return "unchanged"
    if (
        subscriber.status is not SubscriberStatus.OK
        or subscriber.email is None
        or suppression_reason(session, subscriber.email_hash) is not None
    ):
        return "refused"
    existing = _subscription(session, subscriber_id, list_id)
    if existing is None or existing.status is not SubscriptionStatus.UNSUBSCRIBED:
        return "unchanged"
    moved = _back_to_pending(
        session, existing, method=method, detail="subscribed again after unsubscribing"
    )
    return "pending" if moved else "unchanged"


def subscription_status(
    session: Session, *, subscriber_id: int, list_id: int
) -> SubscriptionStatus | None:
    """The status of the subscription of ``subscriber_id`` to ``list_id``, or None."""
    subscription = _subscription(session, subscriber_id, list_id)
    return None if subscription is None else subscription.status


def confirm_subscription(session: Session, *, subscriber_id: int, list_id: int) -> bool:
    """Double opt-in: pending → active (event ``confirmed``, method ``link``).

    Idempotent: False if nothing changed (already active, unsubscribed since, unknown, or the
    address is bounced, complained or erased).
    """
    subscription = _subscription(session, subscriber_id, list_id)
    if subscription is None or subscription.status is not SubscriptionStatus.PENDING:
        return False
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.status is not SubscriberStatus.OK:
        return False
    return _activate(session, subscription, method=LINK_METHOD)

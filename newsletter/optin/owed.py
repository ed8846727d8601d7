"""Who is owed a double opt-in email, and when one is sent again.

A confirmation email is owed for a subscription that is pending after an add or a sign-up,
when the address is in good standing (status ok, not erased): a new subscription, one that
became pending again (an unsubscribed person signed up anew), and one that was pending
already (the person, or the operator, asked again: the email is sent again; the web form's
per-address throttle bounds how often).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.audience import AddResult, list_label
from newsletter.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.settings import Settings

_OWED_OUTCOMES = frozenset({"pending", "reactivated_pending", "already"})


@dataclass(frozen=True)
class ConfirmationTarget:
    """One confirmation email to send: to ``email``, for the list a reader calls ``list_label``."""

    subscriber_id: int
    list_id: int
    email: str
    list_label: str


def is_owed(result: AddResult) -> bool:
    """True when ``result`` (of an add or a sign-up) leaves a subscription pending."""
    subscription = result.subscription
    return (
        result.outcome in _OWED_OUTCOMES
        and result.subscriber is not None
        and subscription is not None
        and subscription.status is SubscriptionStatus.PENDING
    )


def confirmation_targets(
    session: Session,
    settings: Settings,
    *,
    list_id: int | None = None,
    subscriber_ids: Collection[int] | None = None,
) -> list[ConfirmationTarget]:
    """Pending subscriptions (of ``list_id`` / of ``subscriber_ids`` if given) to confirm.

    Only addresses in good standing (status ok, not erased) are included, by subscriber id.
    """
    query = (
        select(Subscription.subscriber_id, Subscription.list_id, Subscriber.email, MailingList)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(
            Subscription.status == SubscriptionStatus.PENDING,
            Subscriber.status == SubscriberStatus.OK,
            Subscriber.email.is_not(None),
        )
        .order_by(Subscriber.id, Subscription.list_id)
    )
    if list_id is not None:
        query = query.where(Subscription.list_id == list_id)
    if subscriber_ids is not None:
        query = query.where(Subscription.subscriber_id.in_(list(subscriber_ids)))
    return [
        ConfirmationTarget(subscriber_id, lid, email, list_label(settings, mailing_list))
        for subscriber_id, lid, email, mailing_list in session.execute(query)
        if email is not None
    ]


def owed_targets(
    session: Session, settings: Settings, result: AddResult
) -> list[ConfirmationTarget]:
    """The confirmation email ``result`` calls for (none, or one)."""
    if not is_owed(result):
        return []
    assert result.subscriber is not None
    assert result.subscription is not None
    return confirmation_targets(
        session,
        settings,
        list_id=result.subscription.list_id,
        subscriber_ids=[result.subscriber.id],
    )

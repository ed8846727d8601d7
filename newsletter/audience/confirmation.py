"""Who is owed a double opt-in email: the pending subscriptions of addresses in good standing.

This module only finds the targets. Building the confirm link (``newsletter.tokens``, purpose
``confirm``) and sending the email belong to the sending side; the CLI and the web service
hand these targets to it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)


@dataclass(frozen=True)
class ConfirmationTarget:
    """One confirmation email to send: to ``email``, for ``list_id``."""

    subscriber_id: int
    list_id: int
    list_name: str
    email: str
    name: str
    language: str


#: What sends confirmation emails: given the targets, returns how many were sent.
ConfirmationSender = Callable[[Session, Sequence[ConfirmationTarget]], int]


def confirmation_targets(
    session: Session,
    *,
    list_id: int | None = None,
    subscriber_ids: Collection[int] | None = None,
) -> list[ConfirmationTarget]:
    """Pending subscriptions (of ``list_id`` / of ``subscriber_ids`` if given) to confirm.

    Only addresses in good standing (status ok, not erased) are included, by subscriber id.
    """
    query = (
        select(Subscription, Subscriber, MailingList.name)
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
    targets = []
    for subscription, subscriber, list_name in session.execute(query):
        assert subscriber.email is not None
        targets.append(
            ConfirmationTarget(
                subscriber_id=subscriber.id,
                list_id=subscription.list_id,
                list_name=list_name,
                email=subscriber.email,
                name=subscriber.name,
                language=subscriber.language,
            )
        )
    return targets

"""Who may be mailed: an active subscription and an address in good standing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.models import Subscriber, SubscriberStatus, Subscription, SubscriptionStatus


def is_mailable(session: Session, *, subscriber_id: int, list_id: int) -> bool:
    """True only if the subscription is active and the subscriber's global status is ok."""
    found = session.scalar(
        select(Subscription.id)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.ACTIVE,
            Subscriber.status == SubscriberStatus.OK,
            Subscriber.email.is_not(None),
        )
    )
    return found is not None

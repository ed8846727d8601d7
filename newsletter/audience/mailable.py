"""Who may be mailed: an active subscription and an address in good standing.

The one definition, as SQL, used both for single checks (:func:`is_mailable`) and by the
send pipeline when it picks and claims recipients.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, ColumnExpressionArgument, and_, exists, literal, select
from sqlalchemy.orm import Session

from newsletter.models import (
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)


def good_standing() -> ColumnElement[bool]:
    """SQL true when the subscriber's address may receive mail at all (any list)."""
    return and_(
        Subscriber.status == SubscriberStatus.OK,
        Subscriber.email.is_not(None),
        ~exists(
            select(Suppression.email_hash).where(Suppression.email_hash == Subscriber.email_hash)
        ),
    )


def mailable_condition(
    *, subscriber_id: ColumnExpressionArgument[int], list_id: ColumnExpressionArgument[int]
) -> ColumnElement[bool]:
    """SQL that is true when ``subscriber_id`` may be mailed on ``list_id`` right now."""
    return exists(
        select(Subscription.id)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.ACTIVE,
            good_standing(),
        )
    )


def is_mailable(session: Session, *, subscriber_id: int, list_id: int) -> bool:
    """True only if the subscription is active and the address is in good standing
    (global status ok, not erased, not in the suppression list)."""
    condition = mailable_condition(subscriber_id=literal(subscriber_id), list_id=literal(list_id))
    return session.scalar(select(literal(1)).where(condition)) is not None

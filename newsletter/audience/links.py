"""What a personal link's page may show about the subscription it names (reads only)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from newsletter.audience.addresses import mask_email
from newsletter.audience.lists import list_label_of
from newsletter.audience.subscribe import subscription_status
from newsletter.models import Subscriber, SubscriptionStatus
from newsletter.settings import Settings


@dataclass(frozen=True)
class SubscriptionView:
    """A masked address, the list's reader-facing name, the state (None: no subscription)."""

    masked_email: str
    list_name: str
    status: SubscriptionStatus | None


def subscription_view(
    session: Session, settings: Settings, *, subscriber_id: int, list_id: int
) -> SubscriptionView:
    """The view of the subscription of ``subscriber_id`` to ``list_id`` (from a verified token)."""
    subscriber = session.get(Subscriber, subscriber_id)
    email = subscriber.email if subscriber is not None else None
    return SubscriptionView(
        mask_email(email),
        list_label_of(session, settings, list_id),
        subscription_status(session, subscriber_id=subscriber_id, list_id=list_id),
    )

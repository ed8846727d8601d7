"""Read-only lookups shared by the unsubscribe and confirm pages (GETs never write)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from newsletter.audience import mask_email
from newsletter.db import transaction
from newsletter.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from newsletter.settings import Settings
from newsletter.tokens import TokenData


@dataclass(frozen=True)
class SubscriptionView:
    """What a personal-link page may show: a masked address, the list, the state."""

    masked_email: str
    list_name: str
    status: SubscriptionStatus | None


def list_label(settings: Settings, mailing_list: MailingList | None) -> str:
    """The name a reader knows the list by: the newsletter's name for the default list."""
    if mailing_list is None or mailing_list.name == settings.default_list:
        return settings.newsletter_name
    return mailing_list.description or mailing_list.name


def subscription_view(settings: Settings, engine: Engine, data: TokenData) -> SubscriptionView:
    """The view of the subscription a verified token names (status None if there is none)."""
    with transaction(engine) as session:
        subscriber = session.get(Subscriber, data.subscriber_id)
        mailing_list = session.get(MailingList, data.list_id)
        status = session.scalar(
            select(Subscription.status).where(
                Subscription.subscriber_id == data.subscriber_id,
                Subscription.list_id == data.list_id,
            )
        )
        email = subscriber.email if subscriber is not None else None
        return SubscriptionView(mask_email(email), list_label(settings, mailing_list), status)

"""The read-only lookup shared by the unsubscribe and confirm pages (GETs never write)."""

from __future__ import annotations

from newsletter.audience import SubscriptionView, subscription_view
from newsletter.db import transaction
from newsletter.tokens import TokenData
from subscribers.services import Services


def link_view(svc: Services, data: TokenData) -> SubscriptionView:
    """What the page of a verified personal link shows (status None if there is none)."""
    with transaction(svc.engine) as session:
        return subscription_view(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )

"""SQLAlchemy 2 typed models: content (digests, items, issues), audience, and delivery."""

from newsletter.models.audience import (
    EventKind,
    MailingList,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from newsletter.models.base import Base
from newsletter.models.content import Digest, Issue, IssueStatus, Item
from newsletter.models.delivery import (
    Delivery,
    DeliveryState,
    SendRun,
    SendRunStatus,
    SendSlice,
    SendWorker,
    SliceState,
)

__all__ = [
    "Base",
    "Delivery",
    "DeliveryState",
    "Digest",
    "EventKind",
    "Issue",
    "IssueStatus",
    "Item",
    "MailingList",
    "SendRun",
    "SendRunStatus",
    "SendSlice",
    "SendWorker",
    "SliceState",
    "Subscriber",
    "SubscriberEvent",
    "SubscriberStatus",
    "Subscription",
    "SubscriptionStatus",
    "Suppression",
]

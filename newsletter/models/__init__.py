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
from newsletter.models.content import (
    DEFAULT_EDITION_SLUG,
    DigestRecord,
    Edition,
    Issue,
    IssueStatus,
    Item,
)
from newsletter.models.delivery import (
    Delivery,
    DeliveryState,
    SendRun,
    SendRunStatus,
    SendSlice,
    SendWorker,
    SliceState,
)
from newsletter.models.feedback import DeliveryEvent, DeliveryEventType, GuardOverride, ListTracking
from newsletter.models.media import MediaImage

__all__ = [
    "DEFAULT_EDITION_SLUG",
    "Base",
    "Delivery",
    "DeliveryEvent",
    "DeliveryEventType",
    "DeliveryState",
    "DigestRecord",
    "Edition",
    "EventKind",
    "GuardOverride",
    "Issue",
    "IssueStatus",
    "Item",
    "ListTracking",
    "MailingList",
    "MediaImage",
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

"""SQLAlchemy 2 typed models: content (digests, items, issues), audience, and delivery.

Each name is imported from its module on first use (:func:`__getattr__`), so that a command
maps only the models it uses: a quick command such as `newsletter items list` needs the
content models alone, and each mapped class costs about a millisecond to declare and more
to configure at the first query. No relationship crosses modules, so a module's models
work without the others. :data:`Base` (its metadata: migrations, the schema comparison,
the tests' clean-up) imports every module, so that the metadata knows every table.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What type checkers see; at run time __getattr__ below imports the same names.
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
    from newsletter.models.feedback import (
        DeliveryEvent,
        DeliveryEventType,
        GuardOverride,
        ListTracking,
    )
    from newsletter.models.media import MediaImage

#: The module (of this package) of each name; the modules with mapped classes.
_MODULE_OF: dict[str, str] = {
    "Base": "base",
    **dict.fromkeys(
        (
            "EventKind",
            "MailingList",
            "Subscriber",
            "SubscriberEvent",
            "SubscriberStatus",
            "Subscription",
            "SubscriptionStatus",
            "Suppression",
        ),
        "audience",
    ),
    **dict.fromkeys(
        ("DEFAULT_EDITION_SLUG", "DigestRecord", "Edition", "Issue", "IssueStatus", "Item"),
        "content",
    ),
    **dict.fromkeys(
        (
            "Delivery",
            "DeliveryState",
            "SendRun",
            "SendRunStatus",
            "SendSlice",
            "SendWorker",
            "SliceState",
        ),
        "delivery",
    ),
    **dict.fromkeys(
        ("DeliveryEvent", "DeliveryEventType", "GuardOverride", "ListTracking"), "feedback"
    ),
    "MediaImage": "media",
}
_MAPPED_MODULES = ("audience", "content", "delivery", "feedback", "media")

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

if not TYPE_CHECKING:  # type checkers use the imports above (a typo stays an error there)

    def __getattr__(name: str) -> object:
        """``name`` from its module, imported now (PEP 562); cached in this module."""
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if name == "Base":
            # Whoever asks for Base wants its metadata whole: every table, every mapper.
            for mapped in _MAPPED_MODULES:
                importlib.import_module(f"{__name__}.{mapped}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value

"""The audience: lists, subscribers and every change of their state.

Every function works in the caller's :class:`~sqlalchemy.orm.Session`; the caller commits.
Each transition records a :class:`~newsletter.models.SubscriberEvent` (when, how, through
which issue); history is never deleted. Nobody who left is mailed again: see
:func:`is_mailable` and the suppression rules in :mod:`newsletter.audience.subscribe`.
"""

from newsletter.audience.addresses import ascii_address, email_hash, mask_email, normalize_email
from newsletter.audience.csv_read import CsvSubscriber, ParsedCsv, RowProblem, read_subscriber_csv
from newsletter.audience.erasure import erase_subscriber
from newsletter.audience.export import EXPORT_COLUMNS, export_subscribers
from newsletter.audience.importer import ImportReport, import_file, import_subscribers
from newsletter.audience.links import SubscriptionView, subscription_view
from newsletter.audience.listing import (
    STATUS_CHOICES,
    list_subscribers,
    parse_status,
    subscriber_detail,
)
from newsletter.audience.lists import (
    Removed,
    create_list,
    find_list,
    get_list,
    get_or_create_list,
    list_label,
    list_label_of,
    list_summaries,
    remove_list,
    rename_list,
)
from newsletter.audience.mailable import is_mailable
from newsletter.audience.profile import checked_name
from newsletter.audience.stats import subscriber_stats
from newsletter.audience.subscribe import (
    AddResult,
    Outcome,
    add_subscriber,
    confirm_subscription,
    find_subscriber,
    refusal_reason,
    request_subscription,
    subscription_status,
)
from newsletter.audience.unsubscribe import UNSUBSCRIBE_METHODS, unsubscribe

__all__ = [
    "EXPORT_COLUMNS",
    "STATUS_CHOICES",
    "UNSUBSCRIBE_METHODS",
    "AddResult",
    "CsvSubscriber",
    "ImportReport",
    "Outcome",
    "ParsedCsv",
    "Removed",
    "RowProblem",
    "SubscriptionView",
    "add_subscriber",
    "ascii_address",
    "checked_name",
    "confirm_subscription",
    "create_list",
    "email_hash",
    "erase_subscriber",
    "export_subscribers",
    "find_list",
    "find_subscriber",
    "get_list",
    "get_or_create_list",
    "import_file",
    "import_subscribers",
    "is_mailable",
    "list_label",
    "list_label_of",
    "list_subscribers",
    "list_summaries",
    "mask_email",
    "normalize_email",
    "parse_status",
    "read_subscriber_csv",
    "refusal_reason",
    "remove_list",
    "rename_list",
    "request_subscription",
    "subscriber_detail",
    "subscriber_stats",
    "subscription_status",
    "subscription_view",
    "unsubscribe",
]

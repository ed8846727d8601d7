"""Exporting subscriptions as CSV, one row per (person, list), streamed in batches."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from newsletter.audience.listing import StatusFilter, filtered_subscriptions
from newsletter.models import Subscriber

EXPORT_COLUMNS = (
    "email",
    "name",
    "language",
    "list",
    "status",
    "subscriber_status",
    "subscribed_at",
    "confirmed_at",
    "unsubscribed_at",
)
_BATCH = 2000


class TextSink(Protocol):
    """Where CSV text goes: an open text file, or anything with ``write(str)``."""

    def write(self, text: str, /) -> object: ...


# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA_START) else value


def _stamp(value: dt.datetime | None) -> str:
    return "" if value is None else value.isoformat()


def export_subscribers(
    session: Session,
    out: TextSink,
    *,
    list_name: str | None = None,
    status: StatusFilter | None = None,
) -> int:
    """Write the matching subscriptions to ``out`` as CSV; returns the number of rows.

    Columns: :data:`EXPORT_COLUMNS`, then one per attribute key (sorted). Erased people have
    no address and are left out. Names and attributes that a spreadsheet would run as a
    formula get a leading apostrophe. The import ignores the export-only columns, so the file
    can be imported again.
    """
    query = filtered_subscriptions(session, list_name=list_name, status=status).where(
        Subscriber.email.is_not(None)
    )
    # First pass: the attribute keys, for the header. Second pass: the rows.
    keys: set[str] = set()
    for row in session.execute(query.with_only_columns(Subscriber.attributes)).scalars():
        keys.update(row)
    attribute_keys = sorted(keys - set(EXPORT_COLUMNS))
    writer = csv.writer(out)
    writer.writerow([*EXPORT_COLUMNS, *attribute_keys])
    count = 0
    result = session.execute(query.execution_options(yield_per=_BATCH))
    for subscriber, subscription, mailing_list in result:
        attributes = subscriber.attributes or {}
        writer.writerow(
            [
                subscriber.email,
                _safe(subscriber.name),
                subscriber.language,
                mailing_list.name,
                subscription.status.value,
                subscriber.status.value,
                _stamp(subscription.created_at),
                _stamp(subscription.confirmed_at),
                _stamp(subscription.unsubscribed_at),
                *(_safe(str(attributes.get(k, ""))) for k in attribute_keys),
            ]
        )
        count += 1
    return count

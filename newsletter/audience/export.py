"""Exporting subscriptions as CSV, one row per (person, list), streamed in batches."""

from __future__ import annotations

import csv
import datetime as dt
from typing import Protocol

from sqlalchemy.orm import Session

from newsletter.audience.csv_read import FORMULA_START
from newsletter.audience.listing import StatusFilter, filtered_subscriptions
from newsletter.models import Subscriber
from newsletter.text import clean_text

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


def _safe(value: object) -> str:
    """A cell for any spreadsheet: no control characters (but tab and line break, which CSV
    quotes), and a leading apostrophe before anything a spreadsheet would run as a formula."""
    text = clean_text("" if value is None else str(value))
    return f"'{text}" if text.startswith(FORMULA_START) else text


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
    no address and are left out. Every cell that a spreadsheet would run as a formula
    (addresses and list names included: the public form accepts ``=HYPERLINK@example.com``)
    gets a leading apostrophe, and no cell carries a control character. The import ignores
    the export-only columns and the apostrophes, so the file can be imported again.
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
    writer.writerow([_safe(c) for c in (*EXPORT_COLUMNS, *attribute_keys)])
    count = 0
    result = session.execute(query.execution_options(yield_per=_BATCH))
    for subscriber, subscription, mailing_list in result:
        attributes = subscriber.attributes or {}
        cells = [
            subscriber.email,
            subscriber.name,
            subscriber.language,
            mailing_list.name,
            subscription.status.value,
            subscriber.status.value,
            _stamp(subscription.created_at),
            _stamp(subscription.confirmed_at),
            _stamp(subscription.unsubscribed_at),
            *(attributes.get(k, "") for k in attribute_keys),
        ]
        writer.writerow([_safe(c) for c in cells])
        count += 1
    return count

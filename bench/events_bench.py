"""Feedback benchmarks: applying SES events, and the report queries on a large ledger.

1. Applying 100,000 SES events (JSON text → parsed → recorded once → attached to its
   delivery), one transaction per event as the endpoint and the Lambda do, against a
   baseline measured in the same run: the same number of bare single-row INSERTs into
   ``delivery_events``, one transaction each (what recording costs with no parsing, no
   de-duplication and no lookup).
2. ``report issue`` and ``report list`` (and the send guard's query) over 1,000,000
   deliveries with 100,000 events, against a baseline: ``SELECT count(*)`` of the deliveries.

Run: ``PYTHONPATH=. python -m bench.events_bench [--events N] [--deliveries N] [--db URL]``
(SQLite in a temporary file by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text

from newsletter import db
from newsletter.editions import default_edition
from newsletter.feedback import apply_notification
from newsletter.feedback.guard import check_send_guard
from newsletter.models import (
    Delivery,
    DeliveryEvent,
    DeliveryEventType,
    DeliveryState,
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
)
from newsletter.reports import issue_report, list_report
from tests.support.sns import ses_message

KINDS = ["Send", "Delivery", "Delivery", "Open", "Click", "Bounce", "Complaint", "DeliveryDelay"]


def _seed(engine: Engine, *, deliveries: int, issues: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with db.transaction(engine) as session:
        session.add(MailingList(name="daily"))
        session.flush()
        for n in range(issues):
            session.add(
                Issue(
                    edition=default_edition(session),
                    date=dt.date(2025, 1, 1) + dt.timedelta(days=n),
                    subject="AI 日报",
                    summary="",
                    preheader="",
                    sections=[],
                    status=IssueStatus.SENT,
                )
            )
    per_issue = deliveries // issues
    with db.transaction(engine) as session:
        session.execute(
            insert(Subscriber),
            [
                {"email": None, "email_hash": f"{n:064x}", "attributes": {}}
                for n in range(per_issue)
            ],
        )
    for issue in range(issues):
        with db.transaction(engine) as session:
            session.execute(
                insert(Delivery),
                [
                    {
                        "issue_id": issue + 1,
                        "subscriber_id": s + 1,
                        "list_id": 1,
                        "state": DeliveryState.SENT,
                        "message_id": f"m-{issue}-{s}",
                        "sent_at": now - dt.timedelta(days=issues - issue),
                    }
                    for s in range(per_issue)
                ],
            )


def _bench_apply(engine: Engine, *, events: int, per_issue: int) -> float:
    messages = [
        ses_message(
            KINDS[n % len(KINDS)],
            message_id=f"m-{(n // per_issue) % 10}-{n % per_issue}",
            recipient="reader@example.com",
            at=f"2025-08-14T07:{n // 600 % 60:02d}:{n // 10 % 60:02d}.{n % 1000:03d}Z",
            tag=f"story-{n % 7}",
            feedback_id=f"fb-{n}",
        )
        for n in range(events)
    ]
    start = time.perf_counter()
    for message in messages:
        with db.transaction(engine) as session:
            apply_notification(session, message=message, soft_limit=1_000_000)
    return time.perf_counter() - start


def _bench_bare(engine: Engine, *, events: int) -> float:
    now = dt.datetime.now(dt.UTC)
    table = DeliveryEvent.metadata.tables[DeliveryEvent.__tablename__]
    stmt = insert(table)  # built once: the cheapest single-row insert there is
    start = time.perf_counter()
    for n in range(events):
        with db.transaction(engine) as session:
            session.connection().execute(
                stmt,
                {
                    "event_key": f"bare-{n}",
                    "type": DeliveryEventType.DELIVERY,
                    "occurred_at": now,
                    "received_at": now,
                    "message_id": f"bare-{n}",
                    "bounce_type": "",
                    "bounce_subtype": "",
                    "diagnostic": "",
                    "link": "",
                    "link_tag": "",
                },
            )
    return time.perf_counter() - start


def _timed(label: str, fn: object) -> float:
    assert callable(fn)
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    print(f"  {label}: {elapsed * 1000:.0f} ms")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--db", default="")
    args = parser.parse_args()
    print("load:", os.getloadavg())
    tmp = tempfile.mkdtemp()
    url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    # The ledger's message_id index (migration 0003 of the sending side); here until merged.
    with engine.begin() as conn:
        conn.execute(
            text("CREATE INDEX IF NOT EXISTS ix_bench_message_id ON deliveries (message_id)")
        )
    issues = 10
    t0 = time.perf_counter()
    _seed(engine, deliveries=args.deliveries, issues=issues)
    print(f"seeded {args.deliveries} deliveries in {time.perf_counter() - t0:.1f} s")
    per_issue = args.deliveries // issues
    applied = _bench_apply(engine, events=args.events, per_issue=per_issue)
    bare = _bench_bare(engine, events=args.events)
    print(
        f"apply {args.events} events: {applied:.1f} s = {args.events / applied:.0f}/s; "
        f"bare inserts: {bare:.1f} s = {args.events / bare:.0f}/s; "
        f"ratio {applied / bare:.2f}x"
    )
    with db.transaction(engine) as session:
        recorded = session.scalar(select(func.count()).select_from(DeliveryEvent))
    print(f"events recorded: {recorded}")
    with db.transaction(engine) as session:
        base = _timed(
            "baseline count(*) of deliveries",
            lambda: session.scalar(select(func.count()).select_from(Delivery)),
        )
        issue = _timed("report issue", lambda: issue_report(session, date=dt.date(2025, 1, 1)))
        listing = _timed("report list --days 90", lambda: list_report(session, list_name="daily"))
        guard = _timed(
            "send guard (30 days)",
            lambda: check_send_guard(session, list_id=1, list_name="daily", force=True),
        )
    print(
        f"ratios to the count(*): issue {issue / base:.1f}x, list {listing / base:.1f}x, "
        f"guard {guard / base:.1f}x"
    )
    print("load:", os.getloadavg())
    engine.dispose()


if __name__ == "__main__":
    main()

"""Subscriber CSV import at 100k rows, on SQLite and PostgreSQL, against a bare baseline.

The baseline writes exactly the rows the import writes (subscribers, subscriptions and their
events) with bare Core ``executemany``, already normalized: no parsing, no validation, no
lookups. The ratio import/baseline is what parsing, email-validator, the duplicate and
suppression checks and the report cost on top of the unavoidable writes. A per-row ORM add
(:func:`~newsletter.audience.add_subscriber`) on a sample is measured too, for scale.

    .venv/bin/python -m bench.import_bench [--rows 100000] [--repeat 3] [--no-postgres]

PostgreSQL: NEWSLETTER_TEST_POSTGRES (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
in a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.exc import OperationalError

from newsletter import db
from newsletter.audience import (
    add_subscriber,
    get_or_create_list,
    import_subscribers,
    read_subscriber_csv,
)
from newsletter.audience.importer import subscriber_row
from newsletter.models import Base, EventKind, SubscriptionStatus
from newsletter.models.base import utcnow

PG_SERVER = os.environ.get(
    "NEWSLETTER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORM_SAMPLE = 2000


def make_csv(rows: int) -> bytes:
    """A realistic file: mixed case, 1% in-file duplicates, 0.5% invalid rows, one extra column."""
    lines = ["email,name,language,source"]
    for i in range(rows):
        if i % 200 == 199:
            lines.append(f"broken-address-{i},Broken,en,web")
        elif i % 100 == 99:
            lines.append(f"Reader{i - 1}@Example.com,Duplicate,en,web")
        else:
            lines.append(f"reader{i}@example.com,Reader {i},zh-CN,web")
    return ("\n".join(lines) + "\n").encode("utf-8")


@contextmanager
def sqlite_engine(workdir: Path) -> Iterator[Engine]:
    """A migrated SQLite file."""
    path = workdir / f"bench-{secrets.token_hex(4)}.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    """A migrated schema of its own on the PostgreSQL server, dropped afterwards."""
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = db.make_engine(f"{PG_SERVER}?options=-csearch_path%3D{schema}")
    try:
        db.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_import(engine: Engine, data: bytes) -> tuple[float, int]:
    """Parse and import ``data``: seconds, subscriptions created."""
    start = time.perf_counter()
    parsed = read_subscriber_csv(data, source="bench.csv")
    with db.transaction(engine) as session:
        report = import_subscribers(session, parsed, list_name="daily")
    return time.perf_counter() - start, report.subscribed


def run_baseline(engine: Engine, data: bytes) -> float:
    """The same writes as bare executemany, from rows prepared beforehand (not timed).

    Ids are given explicitly, so the baseline needs no lookup at all: the floor of the writes.
    """
    parsed = read_subscriber_csv(data, source="bench.csv")
    now = utcnow()
    people = [{"id": n, **subscriber_row(r, now)} for n, r in enumerate(parsed.subscribers, 1)]
    tables = Base.metadata.tables
    start = time.perf_counter()
    with db.transaction(engine) as session:
        list_id = get_or_create_list(session, "daily").id
        conn = session.connection()
        conn.execute(insert(tables["subscribers"]), people)
        conn.execute(
            insert(tables["subscriptions"]),
            [
                {
                    "subscriber_id": p["id"],
                    "list_id": list_id,
                    "status": SubscriptionStatus.PENDING,
                    "created_at": now,
                    "confirmed_at": None,
                    "unsubscribed_at": None,
                }
                for p in people
            ],
        )
        conn.execute(
            insert(tables["subscriber_events"]),
            [
                {
                    "subscriber_id": p["id"],
                    "list_id": list_id,
                    "kind": EventKind.SUBSCRIBED,
                    "method": "import",
                    "issue_id": None,
                    "detail": "bench.csv, line 1",
                    "created_at": now,
                }
                for p in people
            ],
        )
    return time.perf_counter() - start


def run_orm_sample(engine: Engine, rows: int) -> float:
    """Seconds per row of one add_subscriber call per row (the way not to import)."""
    start = time.perf_counter()
    with db.transaction(engine) as session:
        for i in range(rows):
            add_subscriber(session, email=f"orm{i}@example.com", list_name="daily", name="ORM")
    return (time.perf_counter() - start) / rows


def best(repeat: int, fresh: Callable[[], Any], measure: Callable[[Engine], float]) -> float:
    """The fastest of ``repeat`` runs, each on a fresh database."""
    times = []
    for _ in range(repeat):
        with fresh() as engine:
            times.append(measure(engine))
    return min(times)


def pg_reachable() -> bool:
    """True if the PostgreSQL server answers."""
    try:
        engine = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except OperationalError:
        return False


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    data = make_csv(args.rows)
    start = time.perf_counter()
    parsed = read_subscriber_csv(data, source="bench.csv")
    parse_s = time.perf_counter() - start
    print(
        f"{args.rows} rows ({len(data) / 1e6:.1f} MB): {len(parsed.subscribers)} valid, "
        f"{len(parsed.duplicates)} duplicates, {len(parsed.invalid)} invalid; "
        f"parse + validate alone {parse_s:.2f} s"
    )
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, best of {args.repeat}\n")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        backends: list[tuple[str, Callable[[], Any]]] = [("SQLite", lambda: sqlite_engine(workdir))]
        if not args.no_postgres:
            if pg_reachable():
                backends.append(("PostgreSQL", postgres_engine))
            else:
                print(f"PostgreSQL unreachable at {PG_SERVER}: skipped\n")
        print(
            "| database | import (s) | rows/s | bare executemany (s) | ratio "
            "| per-row ORM add (ms/row) | all rows the ORM way (s, extrapolated) |"
        )
        print("|---|---|---|---|---|---|---|")
        for name, fresh in backends:
            imported = best(args.repeat, fresh, lambda e: run_import(e, data)[0])
            baseline = best(args.repeat, fresh, lambda e: run_baseline(e, data))
            per_row = best(1, fresh, lambda e: run_orm_sample(e, ORM_SAMPLE))
            print(
                f"| {name} | {imported:.2f} | {args.rows / imported:,.0f} | {baseline:.2f} "
                f"| {imported / baseline:.1f}x | {per_row * 1000:.2f} "
                f"| {per_row * args.rows:.0f} |"
            )


if __name__ == "__main__":
    main()

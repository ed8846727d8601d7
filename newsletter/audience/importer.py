"""Importing a parsed subscriber CSV into one list, in bulk and in the caller's transaction.

Rows are classified first (a few ``IN`` queries per 5000 addresses), then written with Core
``executemany`` inserts: 100k rows take seconds, not the minutes that one ORM object per row
would. The suppression rules are those of :func:`~newsletter.audience.add_subscriber`: an
address that unsubscribed from the list, bounced, complained or was erased is reported as
suppressed and never made active.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from newsletter.audience.csv_read import CsvSubscriber, ParsedCsv, RowProblem
from newsletter.audience.lists import find_list, get_or_create_list
from newsletter.db import chunks, dialect_name, one_of, transaction
from newsletter.errors import StateError
from newsletter.models import (
    Base,
    EventKind,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from newsletter.models.base import utcnow

IMPORT_METHOD = "import"

# The Core tables (typed as Table) behind the models.
_SUBSCRIBERS = Base.metadata.tables[Subscriber.__tablename__]
_SUBSCRIPTIONS = Base.metadata.tables[Subscription.__tablename__]
_EVENTS = Base.metadata.tables[SubscriberEvent.__tablename__]


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do).

    ``rows`` = invalid + duplicates + suppressed + subscribed + activated + unchanged.
    """

    source: str
    list_name: str
    status: str  # the status of new subscriptions: "active" (confirmed) or "pending"
    dry_run: bool
    rows: int = 0
    new_subscribers: int = 0  # people not in the database before
    subscribed: int = 0  # subscriptions created on the list (new people and existing ones)
    activated: int = 0  # pending subscriptions made active (confirmed imports only)
    unchanged: int = 0  # already on the list
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    suppressed: list[RowProblem] = field(default_factory=list)
    #: Rows imported with a value dropped (a bad language tag, stored empty).
    warnings: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form."""
        return asdict(self)


@dataclass(frozen=True)
class _Existing:
    id: int
    status: SubscriberStatus
    name: str
    language: str
    attributes: dict[str, Any]
    tracking: bool | None


@dataclass
class _Plan:
    new: list[CsvSubscriber] = field(default_factory=list)
    join: list[tuple[int, CsvSubscriber]] = field(default_factory=list)
    activate: list[tuple[int, CsvSubscriber]] = field(default_factory=list)
    merge: list[dict[str, Any]] = field(default_factory=list)  # blank fields to fill


def _existing(session: Session, hashes: Sequence[str]) -> dict[str, _Existing]:
    found: dict[str, _Existing] = {}
    for part in chunks(hashes):
        rows = session.execute(
            select(
                Subscriber.email_hash,
                Subscriber.id,
                Subscriber.status,
                Subscriber.name,
                Subscriber.language,
                Subscriber.attributes,
                Subscriber.tracking,
            ).where(one_of(dialect_name(session), Subscriber.email_hash, part))
        )
        for address_hash, *rest in rows:
            found[address_hash] = _Existing(*rest)
    return found


def _suppressions(session: Session, hashes: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in chunks(hashes):
        query = select(Suppression.email_hash, Suppression.reason)
        where = one_of(dialect_name(session), Suppression.email_hash, part)
        found.update(session.execute(query.where(where)).all())
    return found


def _on_list(session: Session, list_id: int | None, ids: Sequence[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    if list_id is None:
        return found
    for part in chunks(ids):
        query = select(Subscription.subscriber_id, Subscription.status).where(
            Subscription.list_id == list_id,
            one_of(dialect_name(session), Subscription.subscriber_id, part),
        )
        found.update(session.execute(query).all())
    return found


def _merge(existing: _Existing, row: CsvSubscriber) -> dict[str, Any] | None:
    # Existing data wins: the file only fills what is empty.
    name = existing.name or row.name
    language = existing.language or row.language
    attributes = {**row.attributes, **existing.attributes}
    tracking = existing.tracking if existing.tracking is not None else row.tracking
    old = (existing.name, existing.language, existing.attributes, existing.tracking)
    if (name, language, attributes, tracking) == old:
        return None
    return {
        "b_id": existing.id,
        "b_name": name,
        "b_language": language,
        "b_attributes": attributes,
        "b_tracking": tracking,
    }


def _plan(
    session: Session,
    parsed: ParsedCsv,
    report: ImportReport,
    *,
    list_id: int | None,
    confirmed: bool,
) -> _Plan:
    hashes = [row.email_hash for row in parsed.subscribers]
    existing = _existing(session, hashes)
    suppressed = _suppressions(session, hashes)
    on_list = _on_list(session, list_id, [e.id for e in existing.values()])
    plan = _Plan()
    for row in parsed.subscribers:
        known = existing.get(row.email_hash)
        if known is not None and known.status is not SubscriberStatus.OK:
            report.suppressed.append(RowProblem(row.line, f"suppressed: {known.status.value}"))
            continue
        if row.email_hash in suppressed:
            reason = suppressed[row.email_hash]
            report.suppressed.append(RowProblem(row.line, f"suppressed: {reason}"))
            continue
        if known is None:
            plan.new.append(row)
            continue
        state = on_list.get(known.id)
        if state is SubscriptionStatus.UNSUBSCRIBED:
            reason = f"suppressed: unsubscribed from {report.list_name}"
            report.suppressed.append(RowProblem(row.line, reason))
            continue
        merged = _merge(known, row)
        if merged is not None:
            plan.merge.append(merged)
        if state is None:
            plan.join.append((known.id, row))
        elif state is SubscriptionStatus.PENDING and confirmed:
            plan.activate.append((known.id, row))
        else:
            report.unchanged += 1
    report.new_subscribers = len(plan.new)
    report.subscribed = len(plan.new) + len(plan.join)
    report.activated = len(plan.activate)
    return plan


def subscriber_row(row: CsvSubscriber, now: dt.datetime) -> dict[str, Any]:
    """The ``subscribers`` row a new person of the file becomes (a Core insert's values)."""
    return {
        "email": row.email,
        "email_hash": row.email_hash,
        "name": row.name,
        "language": row.language,
        "attributes": row.attributes,
        "tracking": row.tracking,
        "status": SubscriberStatus.OK,
        "soft_bounces": 0,
        "created_at": now,
        "updated_at": now,
    }


def _write(session: Session, plan: _Plan, *, list_id: int, confirmed: bool, source: str) -> None:
    conn = session.connection()
    now = utcnow()
    origin = PurePath(source).name
    new_ids: list[int] = []
    if plan.new:
        rows = [subscriber_row(r, now) for r in plan.new]
        # A plain executemany and then one lookup per 5000 addresses: several times faster
        # than INSERT ... RETURNING with ordered ids, on PostgreSQL above all.
        conn.execute(insert(_SUBSCRIBERS), rows)
        ids_by_hash: dict[str, int] = {}
        for hashes in chunks([r.email_hash for r in plan.new]):
            query = select(_SUBSCRIBERS.c.email_hash, _SUBSCRIBERS.c.id)
            where = one_of(conn.dialect.name, _SUBSCRIBERS.c.email_hash, hashes)
            found = conn.execute(query.where(where))
            ids_by_hash.update(found.all())
        new_ids = [ids_by_hash[r.email_hash] for r in plan.new]
    joined = [*zip(new_ids, plan.new, strict=True), *plan.join]
    if joined:
        status = SubscriptionStatus.ACTIVE if confirmed else SubscriptionStatus.PENDING
        conn.execute(
            insert(_SUBSCRIPTIONS),
            [
                {
                    "subscriber_id": sid,
                    "list_id": list_id,
                    "status": status,
                    "created_at": now,
                    "confirmed_at": now if confirmed else None,
                    "unsubscribed_at": None,
                }
                for sid, _ in joined
            ],
        )
    for ids in chunks([sid for sid, _ in plan.activate]):
        conn.execute(
            update(_SUBSCRIPTIONS)
            .where(
                _SUBSCRIPTIONS.c.list_id == list_id,
                one_of(conn.dialect.name, _SUBSCRIPTIONS.c.subscriber_id, ids),
                _SUBSCRIPTIONS.c.status == SubscriptionStatus.PENDING,
            )
            .values(status=SubscriptionStatus.ACTIVE, confirmed_at=now)
        )
    if plan.merge:
        conn.execute(
            update(_SUBSCRIBERS)
            .where(_SUBSCRIBERS.c.id == bindparam("b_id"))
            .values(
                name=bindparam("b_name"),
                language=bindparam("b_language"),
                attributes=bindparam("b_attributes"),
                tracking=bindparam("b_tracking"),
                updated_at=now,
            ),
            plan.merge,
        )
    events = [(sid, row, EventKind.SUBSCRIBED) for sid, row in joined]
    if confirmed:
        events += [(sid, row, EventKind.CONFIRMED) for sid, row in [*joined, *plan.activate]]
    if events:
        conn.execute(
            insert(_EVENTS),
            [
                {
                    "subscriber_id": sid,
                    "list_id": list_id,
                    "kind": kind,
                    "method": IMPORT_METHOD,
                    "issue_id": None,
                    "detail": f"{origin}, line {row.line}",
                    "created_at": now,
                }
                for sid, row, kind in events
            ],
        )


def import_subscribers(
    session: Session,
    parsed: ParsedCsv,
    *,
    list_name: str,
    confirmed: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Import ``parsed`` into ``list_name`` (created on demand) in the caller's transaction.

    New subscriptions are pending (awaiting double opt-in) unless ``confirmed``, which also
    activates pending ones. Existing people keep their data; the file fills empty fields and
    adds attributes they do not have. With ``dry_run`` nothing is written (not even the list).
    Events: ``subscribed`` (and ``confirmed``), method ``import``, detail naming file and line.
    """
    lst = find_list(session, list_name) if dry_run else get_or_create_list(session, list_name)
    report = ImportReport(
        source=parsed.source,
        list_name=list_name.strip(),
        status=(SubscriptionStatus.ACTIVE if confirmed else SubscriptionStatus.PENDING).value,
        dry_run=dry_run,
        rows=parsed.rows,
        invalid=list(parsed.invalid),
        duplicates=list(parsed.duplicates),
        warnings=list(parsed.warnings),
    )
    list_id = None if lst is None else lst.id
    plan = _plan(session, parsed, report, list_id=list_id, confirmed=confirmed)
    if not dry_run:
        assert list_id is not None
        _write(session, plan, list_id=list_id, confirmed=confirmed, source=parsed.source)
    return report


#: How often an import that collided with a concurrent writer is run again.
IMPORT_ATTEMPTS = 5
# Driver messages of a transaction that lost a race and may simply be run again.
_RETRYABLE = ("locked", "busy", "deadlock", "could not serialize")


def import_file(
    engine: Engine,
    parsed: ParsedCsv,
    *,
    list_name: str,
    confirmed: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """:func:`import_subscribers` in a transaction of its own, committed at the end.

    When another import (or add) writes some of the same people or the same new list at the
    same time, this transaction loses at the commit of the other (a unique key collides, or
    SQLite's snapshot is stale): it is rolled back and run again on what is stored now, so
    both imports succeed. After :data:`IMPORT_ATTEMPTS` a :class:`StateError` says so, in
    one line without any of the file's data.
    """
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        try:
            with transaction(engine) as session:
                return import_subscribers(
                    session, parsed, list_name=list_name, confirmed=confirmed, dry_run=dry_run
                )
        except (IntegrityError, OperationalError) as exc:
            retryable = isinstance(exc, IntegrityError) or any(
                word in str(exc.orig).lower() for word in _RETRYABLE
            )
            if not retryable:
                raise
            if attempt == IMPORT_ATTEMPTS:
                raise StateError(
                    f"{parsed.source}: other writes to the same subscribers kept colliding with "
                    f"this import ({IMPORT_ATTEMPTS} attempts): nothing was imported, run it again"
                ) from None
    raise AssertionError("unreachable")

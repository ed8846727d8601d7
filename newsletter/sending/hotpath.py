"""The ledger writer's statements, run on the raw DBAPI cursor: claims, results, heartbeat.

These run for every message, and SQLAlchemy's per-execution work (about as much CPU as
the database's own work here) would be paid by the one process that also builds and sends
every message. So the statements are written with SQLAlchemy Core, compiled once for the
engine's dialect (SQLite or PostgreSQL), and executed on the driver's cursor with values
converted by the column types' own bind processors: same SQL, same stored formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, UpdateBase, bindparam, case, update

from newsletter.models import Delivery, DeliveryState, SendRun
from newsletter.models.base import utcnow
from newsletter.sending.ledger import NOT_MAILABLE, Outcome, Result
from newsletter.sending.lock import RunLock
from newsletter.sending.recipients import mailable_condition

_STATE_OF = {
    Outcome.FAILED: DeliveryState.FAILED,
    Outcome.DEFERRED: DeliveryState.DEFERRED,
    Outcome.REQUEUED: DeliveryState.QUEUED,
}


class DriverStatement:
    """A Core statement compiled for ``dialect``, run with driver-level parameters.

    ``dynamic`` names the bind parameters given per execution; every other bind is a
    constant of the statement, converted once.
    """

    def __init__(self, stmt: UpdateBase, dialect: Dialect, *, dynamic: frozenset[str]) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql = compiled.string
        defaults = compiled.construct_params(params=dict.fromkeys(dynamic))
        missing = dynamic - set(defaults)
        if missing:
            raise ValueError(f"no such bind parameters: {sorted(missing)}")
        self._processors = {}
        for name in defaults:
            impl = compiled.binds[name].type.dialect_impl(dialect)
            self._processors[name] = impl.bind_processor(dialect)
        self._constants = {
            name: self._convert(name, value)
            for name, value in defaults.items()
            if name not in dynamic
        }
        self._dynamic = dynamic
        self._order = list(compiled.positiontup or []) if compiled.positional else None

    def _convert(self, name: str, value: Any) -> Any:
        process = self._processors[name]
        return process(value) if process is not None else value

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """Driver parameters for one execution."""
        merged = dict(self._constants)
        for name in self._dynamic:
            merged[name] = self._convert(name, values[name])
        if self._order is not None:
            return tuple(merged[name] for name in self._order)
        return merged


class LedgerStatements:
    """Claim and result statements for one dialect (build once per send)."""

    def __init__(self, dialect: Dialect) -> None:
        claim = (
            update(Delivery)
            .where(
                Delivery.id == bindparam("d_id"),
                Delivery.state == DeliveryState.QUEUED,
                mailable_condition(subscriber_id=Delivery.subscriber_id, list_id=Delivery.list_id),
            )
            .values(
                state=DeliveryState.SENDING,
                attempts=Delivery.attempts + 1,
                updated_at=bindparam("d_now"),
            )
            .returning(Delivery.id)
        )
        skip = (
            update(Delivery)
            .where(Delivery.id == bindparam("d_id"), Delivery.state == DeliveryState.QUEUED)
            .values(state=DeliveryState.SKIPPED, error=NOT_MAILABLE, updated_at=bindparam("d_now"))
        )
        sent = (
            update(Delivery)
            .where(Delivery.id == bindparam("d_id"))
            .values(
                state=DeliveryState.SENT,
                message_id=bindparam("d_mid"),
                sent_at=bindparam("d_now"),
                updated_at=bindparam("d_now"),
                # Keep the note of an uncertain re-send; drop notes of failed attempts.
                error=case((Delivery.error.like("uncertain%"), Delivery.error), else_=""),
            )
        )
        other = (
            update(Delivery)
            .where(Delivery.id == bindparam("d_id"))
            .values(
                state=bindparam("d_state"),
                error=bindparam("d_err"),
                updated_at=bindparam("d_now"),
            )
        )
        beat = (
            update(SendRun)
            .where(
                SendRun.id == bindparam("r_id"), SendRun.running_issue_id == bindparam("r_issue")
            )
            .values(heartbeat_at=bindparam("r_now"))
        )
        self.heartbeat_stmt = DriverStatement(
            beat, dialect, dynamic=frozenset({"r_id", "r_issue", "r_now"})
        )
        self.claim_stmt = DriverStatement(claim, dialect, dynamic=frozenset({"d_id", "d_now"}))
        self.skip_stmt = DriverStatement(skip, dialect, dynamic=frozenset({"d_id", "d_now"}))
        self.sent_stmt = DriverStatement(
            sent, dialect, dynamic=frozenset({"d_id", "d_mid", "d_now"})
        )
        self.other_stmt = DriverStatement(
            other, dialect, dynamic=frozenset({"d_id", "d_state", "d_err", "d_now"})
        )

    def heartbeat(self, cursor: Any, lock: RunLock) -> bool:
        """Refresh the run's heartbeat; False when the lock was taken over (stop at once)."""
        st = self.heartbeat_stmt
        values = {"r_id": lock.run_id, "r_issue": lock.issue_id, "r_now": utcnow()}
        cursor.execute(st.sql, st.params(values))
        return bool(cursor.rowcount == 1)

    def claim(self, cursor: Any, delivery_ids: Sequence[int]) -> set[int]:
        """Mark queued rows ``sending`` if their subscriber is still mailable; their ids.

        Rows that are queued but no longer mailable become ``skipped`` with the reason. The
        caller commits before anything is sent.
        """
        now = utcnow()
        claimed: set[int] = set()
        st = self.claim_stmt
        for delivery_id in delivery_ids:
            cursor.execute(st.sql, st.params({"d_id": delivery_id, "d_now": now}))
            if cursor.fetchall():
                claimed.add(delivery_id)
        rest = [i for i in delivery_ids if i not in claimed]
        if rest:
            st = self.skip_stmt
            cursor.executemany(st.sql, [st.params({"d_id": i, "d_now": now}) for i in rest])
        return claimed

    def apply(self, cursor: Any, results: Sequence[Result]) -> None:
        """Write the outcomes of claimed rows."""
        now = utcnow()
        sent = [r for r in results if r.outcome is Outcome.SENT]
        if sent:
            st = self.sent_stmt
            cursor.executemany(
                st.sql,
                [
                    st.params({"d_id": r.delivery_id, "d_mid": r.message_id[:200], "d_now": now})
                    for r in sent
                ],
            )
        other = [r for r in results if r.outcome is not Outcome.SENT]
        if other:
            st = self.other_stmt
            cursor.executemany(
                st.sql,
                [
                    st.params(
                        {
                            "d_id": r.delivery_id,
                            "d_state": _STATE_OF[r.outcome],
                            "d_err": r.error,
                            "d_now": now,
                        }
                    )
                    for r in other
                ],
            )

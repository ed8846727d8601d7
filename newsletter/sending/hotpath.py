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

from sqlalchemy import BindParameter, Dialect, UpdateBase, bindparam, case, update

from newsletter.audience.mailable import mailable_condition
from newsletter.models import Delivery, DeliveryState, SendRun
from newsletter.models.base import utcnow
from newsletter.sending.ledger import NOT_MAILABLE, Outcome, Result
from newsletter.sending.lock import RunLock

_STATE_OF = {
    Outcome.FAILED: DeliveryState.FAILED,
    Outcome.DEFERRED: DeliveryState.DEFERRED,
    Outcome.REQUEUED: DeliveryState.QUEUED,
}


#: Most sent rows written by one statement (the statement is compiled once per size).
SENT_CHUNK = 16


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
        first: tuple[Any, ...] | dict[str, Any] = self.params_many([values])[0]
        return first

    def params_many(
        self, rows: Sequence[Mapping[str, Any]], *, shared: Mapping[str, Any] | None = None
    ) -> list[Any]:
        """Driver parameters for several executions (``executemany``).

        ``shared`` holds dynamic values that are the same for every row (the time of a
        group commit): they are converted once, not once per row.
        """
        base = dict(self._constants)
        for name, value in (shared or {}).items():
            base[name] = self._convert(name, value)
        per_row = [(n, self._processors[n]) for n in self._dynamic if n not in base]
        if self._order is None:
            out_dicts = []
            for row in rows:
                merged = dict(base)
                for name, process in per_row:
                    value = row[name]
                    merged[name] = process(value) if process is not None else value
                out_dicts.append(merged)
            return out_dicts
        # Positional (SQLite's qmark): a template with the per-row slots filled in.
        template = [base.get(name) for name in self._order]
        slots = [
            (i, name, self._processors[name])
            for i, name in enumerate(self._order)
            if name not in base
        ]
        out_tuples = []
        for row in rows:
            filled = template.copy()
            for i, name, process in slots:
                value = row[name]
                filled[i] = process(value) if process is not None else value
            out_tuples.append(tuple(filled))
        return out_tuples


class LedgerStatements:
    """Claim and result statements for one dialect (build once per send)."""

    def __init__(self, dialect: Dialect) -> None:
        skip = (
            update(Delivery)
            .where(Delivery.id == bindparam("d_id"), Delivery.state == DeliveryState.QUEUED)
            .values(state=DeliveryState.SKIPPED, error=NOT_MAILABLE, updated_at=bindparam("d_now"))
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
        self._dialect = dialect
        #: Claim statements by the number of rows they claim (at most one per worker).
        self._claim_stmts: dict[int, DriverStatement] = {}
        self.skip_stmt = DriverStatement(skip, dialect, dynamic=frozenset({"d_id", "d_now"}))
        #: Result statements for sent rows by the number of rows they write.
        self._sent_stmts: dict[int, DriverStatement] = {}
        self.other_stmt = DriverStatement(
            other, dialect, dynamic=frozenset({"d_id", "d_state", "d_err", "d_now"})
        )

    def claim_stmt(self, count: int) -> DriverStatement:
        """The claim of ``count`` rows in one statement: ``UPDATE ... WHERE id IN (...)``.

        Each row is claimed on its own conditions (still queued, subscriber still mailable),
        exactly as one statement per row would; RETURNING names the rows claimed.
        """
        st = self._claim_stmts.get(count)
        if st is None:
            ids: list[BindParameter[int]] = [bindparam(f"d_id{i}") for i in range(count)]
            stmt = (
                update(Delivery)
                .where(
                    Delivery.id.in_(ids),
                    Delivery.state == DeliveryState.QUEUED,
                    mailable_condition(
                        subscriber_id=Delivery.subscriber_id, list_id=Delivery.list_id
                    ),
                )
                .values(
                    state=DeliveryState.SENDING,
                    attempts=Delivery.attempts + 1,
                    updated_at=bindparam("d_now"),
                )
                .returning(Delivery.id)
            )
            names = frozenset({"d_now", *(f"d_id{i}" for i in range(count))})
            st = DriverStatement(stmt, self._dialect, dynamic=names)
            self._claim_stmts[count] = st
        return st

    def sent_stmt(self, count: int) -> DriverStatement:
        """``count`` rows marked sent, each with its message id, in one statement.

        One statement instead of one execution per row: the driver gives up the interpreter
        lock once per execution, and the writer shares it with every worker.
        """
        st = self._sent_stmts.get(count)
        if st is None:
            ids: list[BindParameter[int]] = [bindparam(f"d_id{i}") for i in range(count)]
            mids: list[BindParameter[str]] = [bindparam(f"d_mid{i}") for i in range(count)]
            message_id = case(*((Delivery.id == i, m) for i, m in zip(ids, mids, strict=True)))
            stmt = (
                update(Delivery)
                .where(Delivery.id.in_(ids))
                .values(
                    state=DeliveryState.SENT,
                    message_id=message_id,
                    sent_at=bindparam("d_now"),
                    updated_at=bindparam("d_now"),
                    # Keep the note of an uncertain re-send; drop notes of failed attempts.
                    error=case((Delivery.error.like("uncertain%"), Delivery.error), else_=""),
                )
            )
            names = frozenset(
                {"d_now", *(f"d_id{i}" for i in range(count)), *(f"d_mid{i}" for i in range(count))}
            )
            st = DriverStatement(stmt, self._dialect, dynamic=names)
            self._sent_stmts[count] = st
        return st

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
        if not delivery_ids:
            return set()
        now = utcnow()
        ids = list(dict.fromkeys(delivery_ids))
        st = self.claim_stmt(len(ids))
        values: dict[str, Any] = {f"d_id{i}": d for i, d in enumerate(ids)}
        values["d_now"] = now
        cursor.execute(st.sql, st.params(values))
        claimed = {row[0] for row in cursor.fetchall()}
        rest = [i for i in ids if i not in claimed]
        if rest:
            st = self.skip_stmt
            rows = [{"d_id": i} for i in rest]
            cursor.executemany(st.sql, st.params_many(rows, shared={"d_now": now}))
        return claimed

    def apply(self, cursor: Any, results: Sequence[Result]) -> None:
        """Write the outcomes of claimed rows."""
        now = utcnow()
        sent = list({r.delivery_id: r for r in results if r.outcome is Outcome.SENT}.values())
        for start in range(0, len(sent), SENT_CHUNK):
            chunk = sent[start : start + SENT_CHUNK]
            st = self.sent_stmt(len(chunk))
            values: dict[str, Any] = {"d_now": now}
            for i, r in enumerate(chunk):
                values[f"d_id{i}"] = r.delivery_id
                values[f"d_mid{i}"] = r.message_id[:200]
            cursor.execute(st.sql, st.params(values))
        other = [
            {"d_id": r.delivery_id, "d_state": _STATE_OF[r.outcome], "d_err": r.error}
            for r in results
            if r.outcome is not Outcome.SENT
        ]
        if other:
            st = self.other_stmt
            cursor.executemany(st.sql, st.params_many(other, shared={"d_now": now}))

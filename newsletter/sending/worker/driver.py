"""The per-message statements, run on the raw DBAPI cursor: claims and results.

These run for every message, and SQLAlchemy's per-execution work (about as much CPU as
the database's own work here) would be paid by the process that also builds and sends
every message. So the ledger's statements (built in :mod:`newsletter.sending.ledger`, the
one owner of each transition) are compiled once for the engine's dialect (SQLite or
PostgreSQL), and executed on the driver's cursor with values converted by the column types'
own bind processors: same SQL, same stored formats.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect, UpdateBase

from newsletter.models.base import utcnow
from newsletter.sending import ledger
from newsletter.sending.ledger import STATE_OF, Result, Verdict

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
    """The ledger's per-message statements (:mod:`.ledger`) compiled for one dialect.
    Build once per send; each statement of a given size compiles once."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._skip_locked = dialect.name == "postgresql"
        self._claim_stmts: dict[int, DriverStatement] = {}
        self._skip_stmts: dict[int, DriverStatement] = {}
        self._sent_stmts: dict[int, DriverStatement] = {}
        self.verdict_stmt = DriverStatement(
            ledger.verdict_statement(),
            dialect,
            dynamic=frozenset({"d_id", "d_state", "d_err", "d_now"}),
        )

    def _sized(
        self, cache: dict[int, DriverStatement], count: int, build: Any, prefixes: tuple[str, ...]
    ) -> DriverStatement:
        st = cache.get(count)
        if st is None:
            names = frozenset({"d_now", *(f"{p}{i}" for p in prefixes for i in range(count))})
            st = DriverStatement(build(count), self._dialect, dynamic=names)
            cache[count] = st
        return st

    def claim_stmt(self, count: int) -> DriverStatement:
        """:func:`.ledger.claim_statement` for ``count`` rows."""
        return self._sized(
            self._claim_stmts,
            count,
            lambda n: ledger.claim_statement(n, skip_locked=self._skip_locked),
            ("d_id",),
        )

    def sent_stmt(self, count: int) -> DriverStatement:
        """:func:`.ledger.sent_statement` for ``count`` rows: one statement instead of one
        execution per row (the driver gives up the interpreter lock once per execution, and
        the writer shares it with every worker)."""
        return self._sized(self._sent_stmts, count, ledger.sent_statement, ("d_id", "d_mid"))

    def claim(self, cursor: Any, delivery_ids: Sequence[int]) -> tuple[set[int], set[int]]:
        """Claim queued rows whose subscriber is still mailable: (claimed ids, skipped ids).

        Rows that are queued but no longer mailable become ``skipped``; a row in neither set
        was claimed by another worker. The caller commits before anything is sent.
        """
        if not delivery_ids:
            return set(), set()
        now = utcnow()
        ids = list(dict.fromkeys(delivery_ids))
        st = self.claim_stmt(len(ids))
        values: dict[str, Any] = {f"d_id{i}": d for i, d in enumerate(ids)}
        values["d_now"] = now
        cursor.execute(st.sql, st.params(values))
        claimed = {row[0] for row in cursor.fetchall()}
        rest = [i for i in ids if i not in claimed]
        skipped: set[int] = set()
        if rest:
            st = self._sized(self._skip_stmts, len(rest), ledger.skip_statement, ("d_id",))
            values = {f"d_id{i}": d for i, d in enumerate(rest)}
            values["d_now"] = now
            cursor.execute(st.sql, st.params(values))
            skipped = {row[0] for row in cursor.fetchall()}
        return claimed, skipped

    def apply(self, cursor: Any, results: Sequence[Result]) -> None:
        """Write the verdicts on claimed rows."""
        now = utcnow()
        sent = list({r.delivery_id: r for r in results if r.verdict is Verdict.SENT}.values())
        for start in range(0, len(sent), SENT_CHUNK):
            chunk = sent[start : start + SENT_CHUNK]
            st = self.sent_stmt(len(chunk))
            values: dict[str, Any] = {"d_now": now}
            for i, r in enumerate(chunk):
                values[f"d_id{i}"] = r.delivery_id
                values[f"d_mid{i}"] = r.message_id[:200]
            cursor.execute(st.sql, st.params(values))
        other = [
            {"d_id": r.delivery_id, "d_state": STATE_OF[r.verdict], "d_err": r.error}
            for r in results
            if r.verdict is not Verdict.SENT
        ]
        if other:
            st = self.verdict_stmt
            cursor.executemany(st.sql, st.params_many(other, shared={"d_now": now}))

"""The ledger writer: one thread that commits the workers' claims and results in groups.

A worker hands over a claim and waits until it is committed (a message is never sent before
its row says ``sending`` in the database); results are handed over without waiting. The
writer commits whatever has arrived in one transaction: under load, the claims and results
of all workers share a commit (group commit), which keeps the database cost per message
small on PostgreSQL and avoids lock contention between writers on SQLite. (The heartbeat is
not the writer's: :mod:`.heartbeat` keeps it.)

A result that was handed over but not yet committed when the process dies leaves its row
``sending``: exactly the uncertain case the next run reports.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading

from sqlalchemy import Engine, PoolProxiedConnection

from newsletter.answer import Answer
from newsletter.sending import ledger
from newsletter.sending.worker.driver import LedgerStatements
from newsletter.sending.worker.stop import StopKind, StopSignal

log = logging.getLogger(__name__)

#: Most operations written in one transaction.
GROUP_MAX = 500


class Claimed(enum.Enum):
    """Answer to a claim."""

    YES = "yes"
    NOT_MAILABLE = "not_mailable"
    #: Another worker claimed it first (a slice worked twice: a redelivered SQS message).
    TAKEN = "taken"
    STOPPING = "stopping"


class _Claim(Answer[Claimed]):
    """One claim and its answer; ``wait`` blocks until the writer has answered."""

    __slots__ = ("delivery_id",)

    def __init__(self, delivery_id: int) -> None:
        super().__init__(Claimed.STOPPING)
        self.delivery_id = delivery_id


_CLOSE = object()


class _Barrier(_Claim):
    """Answered once everything handed over before it is committed (see :meth:`sync`)."""

    __slots__ = ()


class LedgerWriter:
    """See the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        stop: StopSignal,
    ) -> None:
        self._engine = engine
        self._stop = stop
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        #: Held around every write transaction of this process's send.
        self.write_lock = threading.Lock()
        #: Results that could not be written (their rows stay ``sending``: uncertain).
        self.lost_results = 0
        self._statements = LedgerStatements(engine.dialect)
        # The writer's own driver connection, held for the whole send (one commit per group).
        self._raw: PoolProxiedConnection | None = None

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def claim(self, delivery_id: int) -> Claimed:
        """Commit the row as ``sending`` (if still queued and mailable); blocks until written."""
        request = _Claim(delivery_id)
        self._queue.put(request)
        return request.wait()

    def record(self, result: ledger.Result) -> None:
        """Queue an outcome for the next commit; does not wait."""
        self._queue.put(result)

    def sync(self) -> None:
        """Wait until every claim and result handed over so far is committed."""
        request = _Barrier(0)
        self._queue.put(request)
        request.wait()

    def close(self) -> None:
        """Write everything queued, then stop the thread (call after the workers are done)."""
        self._queue.put(_CLOSE)
        self._thread.join()
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def _run(self) -> None:
        closing = False
        while not closing:
            ops = [self._queue.get()]
            while len(ops) < GROUP_MAX:
                try:
                    ops.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            closing = any(op is _CLOSE for op in ops)
            claims = [op for op in ops if isinstance(op, _Claim) and not isinstance(op, _Barrier)]
            barriers = [op for op in ops if isinstance(op, _Barrier)]
            results = [op for op in ops if isinstance(op, ledger.Result)]
            if claims or results:
                self._write(claims, results)
            for b in barriers:
                b.set(Claimed.YES)

    def _connection(self) -> PoolProxiedConnection:
        if self._raw is None:
            self._raw = self._engine.raw_connection()
        return self._raw

    def _write(self, claims: list[_Claim], results: list[ledger.Result]) -> None:
        # Once a stop is asked for, no new message is started; results are still written.
        granting = not self._stop.is_set
        ids = [c.delivery_id for c in claims] if granting else []
        granted: set[int] = set()
        skipped: set[int] = set()
        try:
            with self.write_lock:
                raw = self._connection()
                cursor = raw.cursor()
                try:
                    if results:
                        self._statements.apply(cursor, results)
                    if ids:
                        granted, skipped = self._statements.claim(cursor, ids)
                    raw.commit()
                except BaseException:
                    raw.rollback()
                    raise
                finally:
                    cursor.close()
        except Exception as exc:  # the thread must answer every claim, whatever happened
            self.lost_results += len(results)
            log.error("cannot write the deliveries ledger: %s", exc)
            self._stop.stop(StopKind.ERROR, f"cannot write the deliveries ledger: {exc}")
            if self._raw is not None:
                self._raw.invalidate()
                self._raw = None
            for c in claims:
                c.set(Claimed.STOPPING)
            return
        for c in claims:
            if not granting:
                c.set(Claimed.STOPPING)
            elif c.delivery_id in granted:
                c.set(Claimed.YES)
            elif c.delivery_id in skipped:
                c.set(Claimed.NOT_MAILABLE)
            else:
                c.set(Claimed.TAKEN)

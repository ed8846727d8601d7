"""A transport whose calls run in child processes: the provider's client off the sending process.

Handing a message to SES costs the client about as much CPU as everything else a send does
per message together (request serialization, signing, HTTP), and a Python process runs one
thread's Python code at a time. With ``NEWSLETTER_SEND_PROCESSES=N`` the provider's client
runs in ``N`` child processes, each with its own transport (made by :func:`make_inner`, from
the same settings), while the sending process builds messages, claims rows and keeps the
rate: on a machine with a core to spare, the two halves run at once.

The contract is :class:`~newsletter.transport.base.Transport`'s, unchanged: ``send`` blocks
until the provider answered and raises the same three classified errors, rebuilt in this
process from what the child reports (their text and flags, not the library's exception).

Only pipes cross the boundary (no shared-memory queue or semaphore, which AWS Lambda does not
have). Each child reads requests on its pipe and runs them on as many threads as the sending
process has workers; in flight at any time is what the workers are waiting for, so memory
stays flat. If a child ends (killed, out of memory), every message it held and every later
one raises :class:`SenderProcessLost`, which is not a transport error: the send stops, and
the rows it held stay ``sending`` (uncertain: the provider may have taken them), exactly as
if the sending process itself had died there.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Literal

from newsletter.answer import Answer
from newsletter.collector import set_aside
from newsletter.settings import Settings
from newsletter.transport.base import Closing, OutgoingMessage, SendQuota, Transport
from newsletter.transport.errors import AccountError, PermanentError, TransientError

log = logging.getLogger(__name__)

#: How long ``close`` waits for a child to finish its calls and close its client.
CLOSE_TIMEOUT = 30.0

_Kind = Literal["send", "quota", "ready"]
#: What a child answers: ("ok", value) or (error kind, text, flag); "lost" is this side's
#: own answer for a child that will answer no more.
_Reply = tuple[Any, ...]


class SenderProcessLost(RuntimeError):  # noqa: N818 (what happened, not a kind of error)
    """A sender child process ended: what it held may or may not have reached the provider."""


def reply_of(call: Callable[[], object]) -> _Reply:
    """Run ``call``; its value or its error as plain data (library exceptions may not pickle)."""
    try:
        return ("ok", call())
    except TransientError as exc:
        return ("transient", str(exc), exc.throttled)
    except AccountError as exc:
        return ("account", str(exc), exc.daily_quota)
    except PermanentError as exc:
        return ("permanent", str(exc), False)
    except Exception as exc:  # a bug in the child: the parent stops the send with it
        log.exception("sender process: unexpected error")
        return ("bug", f"{type(exc).__name__}: {exc}", False)


def value_of(reply: _Reply) -> Any:
    """The value of a child's reply, or its error raised here."""
    kind = reply[0]
    if kind == "ok":
        return reply[1]
    text, flag = reply[1], reply[2]
    if kind == "transient":
        raise TransientError(text, throttled=flag)
    if kind == "account":
        raise AccountError(text, daily_quota=flag)
    if kind == "permanent":
        raise PermanentError(text)
    if kind == "lost":
        raise SenderProcessLost(text)
    raise SenderProcessLost(f"the sender process failed: {text}")


def serve_child(conn: Connection, settings: Settings, threads: int) -> None:
    """A child's life: requests from ``conn`` run on ``threads`` threads, answers go back.

    Ends when the parent sends None or closes its end; calls under way are finished and
    answered first, then the transport is closed.
    """
    answer_lock = threading.Lock()
    receive_lock = threading.Lock()
    ended = threading.Event()

    def answer(rid: int, reply: _Reply) -> None:
        with answer_lock:
            conn.send((rid, reply))

    def next_request() -> tuple[int, _Kind, Any] | None:
        """The next request, read by whichever thread is free (no hand-over between a reader
        and the callers: one wake-up less per message); None once the parent is done."""
        with receive_lock:
            if ended.is_set():
                return None
            try:
                item: tuple[int, _Kind, Any] | None = conn.recv()
            except (EOFError, OSError):
                item = None
            if item is None:
                ended.set()
            return item

    try:
        transport = make_inner(settings, concurrency=threads)
    except Exception as exc:  # say why to every request, rather than die unexplained
        why = f"cannot start the {settings.transport} transport: {exc}"
        log.error("sender process: %s", why)
        while (request := next_request()) is not None:
            answer(request[0], ("bug", why, False))
        conn.close()
        return

    def serve() -> None:
        while (request := next_request()) is not None:
            rid, kind, payload = request
            if kind == "send":
                answer(rid, reply_of(lambda: transport.send(payload)))  # noqa: B023
            elif kind == "quota":
                answer(rid, reply_of(transport.quota))
            else:
                answer(rid, ("ok", True))

    # The child's heap (the client's service models above all) is set aside from full
    # collections, which would stall every call under way (see newsletter.collector).
    with transport, set_aside():
        pool = [threading.Thread(target=serve, daemon=True) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
    conn.close()


def make_inner(settings: Settings, *, concurrency: int) -> Transport:
    """The transport a child runs: the settings' own, in the child's process."""
    from newsletter.transport import make_transport  # the package imports this module

    own = settings.model_copy(update={"send_processes": 0})
    return make_transport(own, concurrency=concurrency)


class _Child:
    """One child process, its pipe, and the requests it has not answered yet."""

    def __init__(self, settings: Settings, *, threads: int, number: int) -> None:
        ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self.conn, child_end = ctx.Pipe()
        self.process = ctx.Process(
            target=serve_child,
            args=(child_end, settings, threads),
            name=f"newsletter-sender-{number}",
            daemon=True,
        )
        self.process.start()
        child_end.close()
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting: dict[int, Answer[_Reply]] = {}
        self._ids = itertools.count()
        self.lost: str | None = None
        self._reader = threading.Thread(target=self._read, name=f"sender-{number}-answers")
        self._reader.daemon = True
        self._reader.start()

    def call(self, kind: _Kind, payload: object) -> Any:
        waiter: Answer[_Reply] = Answer(("bug", "no answer", False))
        with self._lock:
            if self.lost is not None:
                raise SenderProcessLost(self.lost)
            rid = next(self._ids)
            self._waiting[rid] = waiter
        try:
            with self._send_lock:
                self.conn.send((rid, kind, payload))
        except (OSError, ValueError) as exc:  # the pipe broke: the reader reports the loss
            self._lose(f"cannot reach the sender process: {exc}")
        return value_of(waiter.wait())

    def _read(self) -> None:
        while True:
            try:
                rid, reply = self.conn.recv()
            except (EOFError, OSError):
                break
            with self._lock:
                waiter = self._waiting.pop(rid, None)
            if waiter is not None:  # else already answered as lost
                waiter.set(reply)
        # Not joined here: ``close`` reaps the process (two threads waiting for one child
        # race for its exit status).
        self._lose(
            f"the sender process {self.process.name} ended (killed, or out of memory?): "
            "the messages it held may or may not have gone out"
        )

    def _lose(self, why: str) -> None:
        """No more answers will come: every waiting request gets ``why``."""
        with self._lock:
            if self.lost is None:
                self.lost = why
            waiting, self._waiting = self._waiting, {}
        for waiter in waiting.values():
            waiter.set(("lost", why, False))

    def close(self) -> None:
        try:
            with self._send_lock:
                self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(CLOSE_TIMEOUT)
        if self.process.is_alive():
            log.warning("the sender process %s did not end; terminating it", self.process.name)
            self.process.terminate()
            self.process.join(CLOSE_TIMEOUT)
        self._reader.join(CLOSE_TIMEOUT)
        self.conn.close()


class ProcessTransport(Closing):
    """The settings' transport, run in ``processes`` child processes (see the module docstring).

    Thread-safe, like every transport; messages go to the children in turn.
    """

    def __init__(self, settings: Settings, *, concurrency: int, processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.name: str = settings.transport
        self._children = [
            _Child(settings, threads=max(1, concurrency), number=n) for n in range(processes)
        ]
        self._turn = itertools.cycle(self._children)
        self._turn_lock = threading.Lock()
        log.info("%s calls run in %d sender processes", self.name, processes)

    def _next(self) -> _Child:
        with self._turn_lock:
            return next(self._turn)

    def send(self, message: OutgoingMessage) -> str:
        """Hand ``message`` to the next child; its provider id (or classified error)."""
        message_id: str = self._next().call("send", message)
        return message_id

    def quota(self) -> SendQuota | None:
        """The provider's limits, as a child's transport reads them."""
        answer: SendQuota | None = self._children[0].call("quota", None)
        return answer

    def wait_ready(self) -> None:
        """Block until every child has made its transport (a child starts in about half a
        second: a new interpreter imports the provider's client); raises
        :class:`SenderProcessLost` for a child that could not."""
        for child in self._children:
            child.call("ready", None)

    @property
    def pids(self) -> list[int]:
        """The children's process ids (for operators' tools and the tests)."""
        return [child.process.pid or 0 for child in self._children]

    def close(self) -> None:
        """Let every child finish its calls and close its client; wait for them."""
        for child in self._children:
            child.close()

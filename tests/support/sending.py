"""Helpers of the sending tests: the seeded database (World), a flaky transport, moto's
SES as the tests read it back, and a fault-injecting HTTP proxy in front of it."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine, func, select, text, update

from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.freshness import render_inputs
from newsletter.items import store_digest
from newsletter.models import (
    Delivery,
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
)
from newsletter.models.base import utcnow
from newsletter.render import RenderedEmail
from newsletter.settings import Settings
from newsletter.transport import OutgoingMessage, SendQuota, TransientError, Transport
from newsletter.transport.base import Closing
from tests.support import aws
from tests.support.factories import add_person, insert_active_subscribers
from tests.support.mail import parse, recipient
from tests.support.paths import SAMPLE, SAMPLE_DATE

DATE = SAMPLE_DATE


@dataclass
class World:
    """A database with the sample issue composed and one list, plus helpers."""

    engine: Engine
    settings: Settings
    issue_id: int
    list_id: int
    date: dt.date = DATE
    emails: dict[int, str] = field(default_factory=dict)

    def add(
        self, count: int, *, start: int = 1, domain: str = "example.com", name: str = "Reader"
    ) -> list[int]:
        """``count`` active subscribers ``reader<n>@domain``; their ids."""
        return [
            self.add_one(f"reader{n}@{domain}", name=f"{name} {n}")
            for n in range(start, start + count)
        ]

    def add_bulk(self, count: int) -> list[int]:
        """``count`` active subscribers ``bulk<n>@example.com`` in a few statements; their ids."""
        now = utcnow()
        with transaction(self.engine) as session:
            start = (session.scalar(select(func.max(Subscriber.id))) or 0) + 1
        ids = list(range(start, start + count))
        with self.engine.begin() as conn:
            insert_active_subscribers(conn, ids, list_id=self.list_id, now=now, local="bulk")
            if conn.dialect.name == "postgresql":
                # Explicit ids leave the sequence behind: move it past them.
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('subscribers', 'id'), :top)"),
                    {"top": ids[-1]},
                )
        self.emails.update({i: f"bulk{i}@example.com" for i in ids})
        return ids

    def add_one(self, address: str, *, name: str = "", confirmed: bool = True) -> int:
        """One subscriber; its id."""
        person = add_person(self.engine, address, name=name, confirmed=confirmed)
        self.emails[person.subscriber_id] = address
        return person.subscriber_id

    def deliveries(self) -> dict[int, Delivery]:
        """Ledger rows of the issue by subscriber id."""
        with transaction(self.engine) as session:
            rows = session.scalars(select(Delivery).where(Delivery.issue_id == self.issue_id))
            return {d.subscriber_id: d for d in rows}

    def issue_status(self) -> IssueStatus:
        """The issue's status now."""
        with transaction(self.engine) as session:
            issue = session.get(Issue, self.issue_id)
            assert issue is not None
            return issue.status

    def set_deliveries(self, subscriber_ids: list[int], **values: Any) -> None:
        """Force ledger rows into a state (to stage what a crashed run leaves)."""
        with transaction(self.engine) as session:
            session.execute(
                update(Delivery)
                .where(Delivery.issue_id == self.issue_id)
                .where(Delivery.subscriber_id.in_(subscriber_ids))
                .values(**values)
            )

    def subscriber_by_email(self, address: str) -> int:
        """The id of the subscriber with ``address``."""
        with transaction(self.engine) as session:
            found = session.scalar(select(Subscriber.id).where(Subscriber.email == address))
            assert found is not None
            return found


def make_world(
    engine: Engine, settings: Settings, rendering: RenderedEmail | None, *, draft: bool = False
) -> World:
    """Import the sample digest, compose its issue, create the list; store the rendering."""
    (digest,) = load_digests(SAMPLE)
    with transaction(engine) as session:
        store_digest(session, digest, source=str(SAMPLE))
        issue = compose_issue(session, date=DATE)
        if not draft and rendering is not None:
            issue.rendered_subject = rendering.subject
            issue.rendered_html = rendering.html
            issue.rendered_text = rendering.text
            issue.status = IssueStatus.RENDERED
            # Made with these settings: current, not stale (the send sends it as it is).
            issue.rendered_inputs = render_inputs(issue, settings)
        mailing_list = MailingList(name="daily")
        session.add(mailing_list)
        session.flush()
        return World(engine, settings, issue.id, mailing_list.id)


class FlakyTransport(Closing):
    """Wraps a transport: raises a transient error (throttling or 5xx) on chosen calls.

    ``fail(n)`` decides for the n-th call (1-based); every call's monotonic time is kept.
    """

    def __init__(self, inner: Transport, fail: Callable[[int], str | None]) -> None:
        self.inner = inner
        self.name = f"flaky-{inner.name}"
        self._fail = fail
        self._lock = threading.Lock()
        self.calls = 0
        self.call_times: list[float] = []
        self.faults = 0

    def send(self, message: OutgoingMessage) -> str:
        with self._lock:
            self.calls += 1
            n = self.calls
            self.call_times.append(time.monotonic())
        kind = self._fail(n)
        if kind == "throttle":
            with self._lock:
                self.faults += 1
            raise TransientError("Maximum sending rate exceeded", throttled=True)
        if kind == "5xx":
            with self._lock:
                self.faults += 1
            raise TransientError("SES server error 503")
        return self.inner.send(message)

    def quota(self) -> SendQuota | None:
        return self.inner.quota()

    def close(self) -> None:
        self.inner.close()


def max_in_window(times: list[float], *, span: float = 1.0) -> int:
    """The most events in any half-open window of ``span`` seconds."""
    times = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(times):
        while times[lo] <= t - span:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class Ses:
    """A freshly reset moto SES with the sender verified."""

    endpoint: str

    def accepted(self) -> list[dict[str, Any]]:
        """What SES accepted: moto's RawMessage records (destinations, raw_data)."""
        return aws.accepted(self.endpoint)

    def recipients(self) -> list[str]:
        """The To address of every accepted message (one per message)."""
        return [recipient(parse(m["raw_data"].encode("utf-8"))) for m in self.accepted()]


class FaultProxy:
    """An HTTP proxy to moto that answers a share of SendEmail calls with 429 or 503.

    It records the arrival time and JSON body of every SendEmail call it forwards.
    """

    def __init__(self, upstream: str, fail: Callable[[int], str | None]) -> None:
        self.upstream = upstream.removeprefix("http://")
        self.fail = fail
        self.lock = threading.Lock()
        self.calls = 0
        self.faults = 0
        self.forwarded_times: list[float] = []
        #: Arrival time of every SendEmail call, answered with a fault or forwarded.
        self.arrival_times: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        #: The recipients of every forwarded SendEmail, in order.
        self.destinations: list[str] = []
        #: Keep whole bodies (memory: a message each); off for big sends.
        self.keep_bodies = True
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                is_send = self.path.startswith("/v2/email/outbound-emails")
                if is_send:
                    with proxy.lock:
                        proxy.calls += 1
                        n = proxy.calls
                        proxy.arrival_times.append(time.monotonic())
                    kind = proxy.fail(n)
                    if kind is not None:
                        with proxy.lock:
                            proxy.faults += 1
                        if kind == "throttle":
                            err = {"message": "Maximum sending rate exceeded."}
                            headers = {"x-amzn-ErrorType": "TooManyRequestsException"}
                            self._reply(429, headers, json.dumps(err).encode())
                        else:
                            headers = {"x-amzn-ErrorType": "ServiceUnavailable"}
                            self._reply(503, headers, b'{"message": "Service Unavailable"}')
                        return
                    data = json.loads(body)
                    with proxy.lock:
                        proxy.forwarded_times.append(time.monotonic())
                        proxy.destinations += data["Destination"]["ToAddresses"]
                        if proxy.keep_bodies:
                            proxy.bodies.append(data)
                conn = http.client.HTTPConnection(proxy.upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                keep = {
                    k: v
                    for k, v in resp.getheaders()
                    if k.lower() not in ("content-length", "connection", "transfer-encoding")
                }
                conn.close()
                self._reply(resp.status, keep, data)

            do_GET = _forward  # noqa: N815 (the name http.server looks up)
            do_POST = _forward  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A client killed mid-request (the crash tests do that) is no error of the proxy's.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

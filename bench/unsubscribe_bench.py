"""One-click unsubscribes (RFC 8058 POSTs) under loopback load against `newsletter serve`.

A fresh database gets ``--subscribers`` active subscribers; `newsletter serve` runs as a
separate process on 127.0.0.1; an async client sends each subscriber's one-click POST once
(``--concurrency`` at a time) and then, to show that replays are harmless, a second round
of the same POSTs. Reported: requests per second, latency percentiles, errors (anything but a
200, target 0), and whether every unsubscribe is in the database afterwards (one
``unsubscribed`` event with method ``one-click`` per subscriber, none twice). For a figure that
carries over between machines, the same server's ``GET /healthz`` rate is measured too and
the ratio given. Then ``--signups`` sign-ups of new addresses through the form and as many
with the honeypot filled in (a bot's): the honeypot must answer alike in time, so the ratio of
their latencies is reported (target about 1).

    .venv/bin/python -m bench.unsubscribe_bench [--subscribers 2000] [--concurrency 32]
        [--signups 500] [--database-url URL]
        (an empty database; default: SQLite in a temporary folder)

Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, insert, select

from newsletter import db
from newsletter.models import (
    EventKind,
    MailingList,
    Subscriber,
    SubscriberEvent,
    Subscription,
    SubscriptionStatus,
)
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, make_token

SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
#: Every request and the whole run are bounded, so the benchmark always stops by itself.
REQUEST_TIMEOUT = 30.0
RUN_DEADLINE_SECONDS = 600.0
HEALTH_REQUESTS = 2000


@dataclass
class Round:
    """One round of requests: how many, how long, which failed, each latency."""

    name: str
    requests: int
    seconds: float
    errors: int
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<22} {self.requests:>6} req  {self.rate:>8.0f} req/s  "
            f"p50 {self.percentile(50):6.1f} ms  p95 {self.percentile(95):6.1f} ms  "
            f"p99 {self.percentile(99):6.1f} ms  errors {self.errors}"
        )


def populate(engine: Engine, count: int) -> tuple[int, list[int]]:
    """``count`` active subscribers on the list "daily"; returns (list id, subscriber ids)."""
    with db.transaction(engine) as session:
        mailing_list = MailingList(name="daily", description="")
        session.add(mailing_list)
        session.flush()
        list_id = mailing_list.id
        session.execute(
            insert(Subscriber),
            [
                {
                    "email": f"bench{n}@example.com",
                    "email_hash": f"{n:064x}",
                    "name": "",
                    "language": "",
                    "attributes": {},
                    "soft_bounces": 0,
                }
                for n in range(count)
            ],
        )
        ids = list(session.scalars(select(Subscriber.id).order_by(Subscriber.id)))
        session.execute(
            insert(Subscription),
            [
                {"subscriber_id": i, "list_id": list_id, "status": SubscriptionStatus.ACTIVE}
                for i in ids
            ],
        )
    return list_id, ids


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start_server(url: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """`newsletter serve` in its own process, with the bench's settings in its environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(
        NEWSLETTER_DATABASE_URL=url,
        NEWSLETTER_SECRET_KEY=SECRET,
        NEWSLETTER_BASE_URL=f"http://127.0.0.1:{port}",
        NEWSLETTER_SENDER="AI 日报 <news@example.com>",
        NEWSLETTER_TRANSPORT="file",
        NEWSLETTER_FILE_OUTBOX=str(workdir / "outbox"),
        # One client sends every sign-up: the per-client throttle must not answer 429.
        NEWSLETTER_SUBSCRIBE_RATE_PER_CLIENT="1000000",
    )
    log = (workdir / "serve.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"`newsletter serve` exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("`newsletter serve` did not become ready")


async def run_round(
    name: str, base: str, requests: list[tuple[str, str, bytes]], concurrency: int
) -> Round:
    """Send ``requests`` (method, path, body) with ``concurrency`` in flight."""
    queue: asyncio.Queue[tuple[str, str, bytes]] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=REQUEST_TIMEOUT) as client:

        async def worker() -> None:
            nonlocal errors
            while True:
                try:
                    method, path, body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                try:
                    response = await client.request(method, path, content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok

        start = time.perf_counter()
        await asyncio.wait_for(
            asyncio.gather(*(worker() for _ in range(concurrency))), RUN_DEADLINE_SECONDS
        )
        seconds = time.perf_counter() - start
    return Round(name, len(requests), seconds, errors, latencies)


def check_database(engine: Engine, ids: list[int]) -> tuple[int, int, int]:
    """(subscriptions unsubscribed, one-click events, subscribers with more than one event)."""
    with db.transaction(engine) as session:
        unsubscribed = session.scalar(
            select(func.count())
            .select_from(Subscription)
            .where(Subscription.status == SubscriptionStatus.UNSUBSCRIBED)
        )
        events = session.scalar(
            select(func.count())
            .select_from(SubscriberEvent)
            .where(
                SubscriberEvent.kind == EventKind.UNSUBSCRIBED,
                SubscriberEvent.method == "one-click",
            )
        )
        doubled = session.scalar(
            select(func.count()).select_from(
                select(SubscriberEvent.subscriber_id)
                .where(SubscriberEvent.kind == EventKind.UNSUBSCRIBED)
                .group_by(SubscriberEvent.subscriber_id)
                .having(func.count() > 1)
                .subquery()
            )
        )
    return unsubscribed or 0, events or 0, doubled or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--signups", type=int, default=500)
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="unsubscribe-bench-") as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        with engine.connect() as conn:
            if conn.scalar(select(func.count()).select_from(Subscriber)):
                raise SystemExit("the benchmark needs a database without subscribers")
        list_id, ids = populate(engine, args.subscribers)
        settings = Settings(database_url=url, secret_key=SECRET)
        one_click = [
            (
                "POST",
                "/unsubscribe/"
                + make_token(
                    settings, purpose=TokenPurpose.UNSUBSCRIBE, subscriber_id=i, list_id=list_id
                ),
                b"List-Unsubscribe=One-Click",
            )
            for i in ids
        ]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(url, port, workdir)
        try:
            wait_ready(base, server)
            health = [("GET", "/healthz", b"")] * HEALTH_REQUESTS
            rounds = [
                asyncio.run(run_round("GET /healthz", base, health, args.concurrency)),
                asyncio.run(run_round("one-click (first)", base, one_click, args.concurrency)),
                asyncio.run(run_round("one-click (replayed)", base, one_click, args.concurrency)),
            ]
            for name, extra in (("sign-up (real)", ""), ("sign-up (honeypot)", "&website=x")):
                signups = [
                    ("POST", "/subscribe", f"email=s{n}{extra[1:2]}%40example.com{extra}".encode())
                    for n in range(args.signups)
                ]
                rounds.append(asyncio.run(run_round(name, base, signups, args.concurrency)))
        finally:
            server.terminate()
            server.wait(timeout=30)
        unsubscribed, events, doubled = check_database(engine, ids)
        engine.dispose()

    backend = url.split(":", 1)[0]
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, database {backend}")
    print(f"{args.subscribers} subscribers, {args.concurrency} concurrent connections")
    for r in rounds:
        print(r.line())
    print(
        f"one-click / healthz throughput: {rounds[1].rate / rounds[0].rate:.2f}; "
        f"replayed / first: {rounds[2].rate / rounds[1].rate:.2f}"
    )
    real, bot = rounds[3], rounds[4]
    print(
        f"honeypot / real sign-up: p50 {bot.percentile(50) / real.percentile(50):.2f}, "
        f"p95 {bot.percentile(95) / real.percentile(95):.2f}, throughput {bot.rate / real.rate:.2f}"
    )
    print(
        f"database: {unsubscribed}/{len(ids)} subscriptions unsubscribed, {events} one-click "
        f"events, {doubled} subscribers with more than one"
    )
    total_errors = sum(r.errors for r in rounds)
    if total_errors or unsubscribed != len(ids) or events != len(ids) or doubled:
        raise SystemExit("FAILED: errors, or unsubscribes missing or doubled in the database")


if __name__ == "__main__":
    main()

"""The send pipeline against its baselines: four ratios, each from one run, and a model.

1. throughput: ``send_issue`` (ledger, rate limiter off, MIME per recipient, SES transport)
   against a local endpoint that answers SendEmail at almost no cost, vs. a bare boto3 loop
   sending one prebuilt message the same number of times at the same concurrency;
2. rate: the rate achieved at the endpoint vs. the configured one, and the most requests
   the endpoint saw in any one second (sliding window) and in any calendar second;
3. memory: peak RSS of a process sending to 1,000,000 subscribers vs. one sending to
   10,000 (same code, transport that hands messages to nothing).

4. workers (PostgreSQL): throughput of a send by 2 worker processes vs. 1, no rate limit,
   against the same endpoint; and the rate held across 2 workers at 200/s (arrival times);
   then the model of a million-reader send on AWS at SES 1,000/s. Each send says how the
   machine's cores were shared (:class:`CpuReading`: the senders, PostgreSQL, the endpoint).

    .venv/bin/python -m bench.send_bench [--quick] [--only throughput|rate|memory|workers]

The endpoint runs in its own process (asyncio, HTTP/1.1 keep-alive) and keeps the arrival
time of every SendEmail (CLOCK_MONOTONIC, shared by all processes). Databases are SQLite
files in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from sqlalchemy import select

from newsletter import db
from newsletter.audience import get_list
from newsletter.compose import compose_issue, get_issue
from newsletter.digest import load_digests
from newsletter.items import store_digest
from newsletter.models import (
    Delivery,
    MailingList,
    SendWorker,
)
from newsletter.models.base import utcnow
from newsletter.render import render_and_store
from newsletter.render.issue import stored_rendering
from newsletter.sending import SendOptions, send_issue
from newsletter.sending.fanout import slice_rows
from newsletter.sending.ledger import Job, Result, Verdict, plan_rows
from newsletter.sending.personal import IssueMailer
from newsletter.sending.worker.driver import LedgerStatements
from newsletter.settings import Settings
from newsletter.transport import OutgoingMessage, SendQuota, Transport, make_transport
from newsletter.transport.base import Closing
from newsletter.transport.process import ProcessTransport
from newsletter.transport.ses import SesTransport, client_config
from tests.support.factories import insert_active_subscribers

if TYPE_CHECKING:
    from mypy_boto3_sesv2.client import SESV2Client

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "samples" / "ai-daily-2025-08-14.md"
DATE = load_digests(SAMPLE)[0].date


def settings_for(url: str) -> Settings:
    """Complete settings on ``url`` (the transport is passed in, not taken from these)."""
    return Settings(
        database_url=url,
        base_url="https://news.example.com",
        sender="AI 日报 <news@example.com>",
        secret_key="bench-secret-key-0123456789-abcdefghijklmnop",  # noqa: S106
        postal_address="AI Daily Ltd, 8 Harbour Street, Leith",
        # The sample's images are on remote hosts (no network here); the send is measured.
        media_fetch=False,
    )


# --- the local endpoint --------------------------------------------------------------------


def _serve(port: int, ready: Any, max_send_rate: float | None = None, delay: float = 0.0) -> None:
    times: list[float] = []
    # GetAccount: SES's quota, with MaxSendRate when one is set (the run then takes it).
    quota = {"MaxSendRate": max_send_rate, "Max24HourSend": 1e9, "SentLast24Hours": 0.0}
    account = json.dumps({"SendQuota": quota} if max_send_rate else {}).encode()
    counter = itertools.count(1)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                now = time.monotonic()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                path = head.split(b" ", 2)[1]
                if path.startswith(b"/v2/email/outbound-emails"):
                    times.append(now)
                    body = b'{"MessageId":"bench-%d"}' % next(counter)
                    if delay:
                        await asyncio.sleep(delay)
                elif path == b"/bench/stats":
                    body = json.dumps(times).encode()
                elif path == b"/v2/email/account":
                    body = account
                else:  # /bench/reset
                    times.clear()
                    body = b"{}"
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"x-amzn-RequestId: bench\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class Endpoint:
    """The near-zero-cost SendEmail endpoint in a child process.

    ``delay``: seconds before each SendEmail is answered (SES's own take tens of ms), so
    that senders wait on the network rather than on the CPU; arrival times are unchanged.
    """

    def __init__(self, *, max_send_rate: float | None = None, delay: float = 0.0) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        ctx = multiprocessing.get_context("spawn")
        ready = ctx.Event()
        self.proc = ctx.Process(
            target=_serve, args=(self.port, ready, max_send_rate, delay), daemon=True
        )
        self.proc.start()
        if not ready.wait(30):
            raise RuntimeError("the endpoint did not start")

    def times(self) -> list[float]:
        with urllib.request.urlopen(f"{self.url}/bench/stats", timeout=30) as r:  # noqa: S310
            times: list[float] = json.load(r)
        return times

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/bench/reset", method="POST")  # noqa: S310
        urllib.request.urlopen(req, timeout=30).read()  # noqa: S310

    def close(self) -> None:
        self.proc.terminate()
        self.proc.join(10)


def ses_client(endpoint: str, *, concurrency: int, validation: bool = True) -> SESV2Client:
    """A sesv2 client configured as the production transport configures its own, except for
    botocore's parameter validation: on by default (boto3's default, the bare loop's), off
    for the transport (as in production, see ``newsletter.transport.ses.client_config``)."""
    config = client_config(concurrency).merge(Config(parameter_validation=validation))
    # Dummy credentials: the local endpoint checks no signature.
    session = boto3.session.Session(
        aws_access_key_id="bench",
        aws_secret_access_key="bench",  # noqa: S106
    )
    return session.client("sesv2", region_name="us-east-1", endpoint_url=endpoint, config=config)


def dummy_credentials() -> None:
    """Credentials for the processes that make their own clients from the settings (worker
    and sender processes): the local endpoint checks no signature."""
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")


def ses_transport(endpoint: str, *, concurrency: int) -> SesTransport:
    """The production transport, pointed at the endpoint."""
    client = ses_client(endpoint, concurrency=concurrency, validation=False)
    return SesTransport(client=client, endpoint_url=endpoint)


def sending_transport(endpoint: str, *, concurrency: int, processes: int) -> Transport:
    """The production transport pointed at the endpoint: in this process (``processes`` 0),
    or its calls in that many sender processes (NEWSLETTER_SEND_PROCESSES), started and
    ready, as the in-process client is before a send's clock starts."""
    if not processes:
        return ses_transport(endpoint, concurrency=concurrency)
    settings = Settings(transport="ses", ses_endpoint_url=endpoint, send_processes=processes)
    transport = make_transport(settings, concurrency=concurrency)
    assert isinstance(transport, ProcessTransport)
    transport.wait_ready()
    return transport


# --- databases ------------------------------------------------------------------------------


def seed(url: str, subscribers: int) -> None:
    """A migrated database: the sample issue rendered, one list, ``subscribers`` active."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    settings = settings_for(url)
    (digest,) = load_digests(SAMPLE)
    with db.transaction(engine) as session:
        store_digest(session, digest, source=str(SAMPLE))
        issue = compose_issue(session, date=DATE)
        render_and_store(session, issue, settings)
        mailing_list = MailingList(name="daily")
        session.add(mailing_list)
        session.flush()
        list_id = mailing_list.id
    now = utcnow()
    chunk = 20_000
    for start in range(1, subscribers + 1, chunk):
        ids = range(start, min(start + chunk, subscribers + 1))
        with engine.begin() as conn:
            insert_active_subscribers(conn, ids, list_id=list_id, now=now, local="reader")
    engine.dispose()


@contextmanager
def seeded(folder: Path, name: str, subscribers: int) -> Iterator[str]:
    """A seeded SQLite database file; removed afterwards."""
    path = folder / f"{name}.db"
    url = f"sqlite:///{path}"
    seed(url, subscribers)
    try:
        yield url
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


# --- 1. throughput --------------------------------------------------------------------------


def prebuilt_message(url: str) -> OutgoingMessage:
    """One recipient's real message, as the pipeline builds it."""
    return issue_mailer(url).message(Job(1, 1, "reader1@example.com", "Reader 1"))


def issue_mailer(url: str) -> IssueMailer:
    """The seeded issue's mailer, as a send makes it."""
    engine = db.make_engine(url)
    settings = settings_for(url)
    with db.transaction(engine) as session:
        issue = get_issue(session, DATE)
        mailing_list = get_list(session, "daily")
        rendered = stored_rendering(issue)
        assert rendered is not None
        mailer = IssueMailer(
            settings,
            rendered=rendered,
            issue_id=issue.id,
            issue_date=issue.date.isoformat(),
            list_id=mailing_list.id,
            list_name=mailing_list.name,
        )
    engine.dispose()
    return mailer


def bare_send(client: SESV2Client, message: OutgoingMessage) -> None:
    """The bare loop's call: ``send_email`` with the message's envelope, raw bytes and tags."""
    client.send_email(
        FromEmailAddress=message.sender,
        Destination={"ToAddresses": list(message.recipients)},
        Content={"Raw": {"Data": message.raw}},
        EmailTags=[{"Name": n, "Value": v} for n, v in message.tags],
    )


def bare_loop(
    endpoint: str,
    message: OutgoingMessage,
    *,
    count: int,
    concurrency: int,
    validation: bool = True,
) -> float:
    """Messages per second of plain ``send_email`` calls from ``concurrency`` threads.

    ``validation``: botocore's parameter validation (boto3's default: on; the issue's
    baseline). Off, the loop is what the transport's client does per call.
    """
    client = ses_client(endpoint, concurrency=concurrency, validation=validation)

    def one(_: int) -> None:
        bare_send(client, message)

    one(0)  # connect, warm up
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - start
    client.close()
    return count / elapsed


def pipeline(
    url: str, endpoint: str, *, concurrency: int, rate: float | None, processes: int = 0
) -> dict[str, Any]:
    """One real send of the seeded issue; returns its report plus wall time.

    ``processes``: the SES calls in that many sender processes (NEWSLETTER_SEND_PROCESSES),
    started and ready before the clock starts, as the transport's own client is.
    """
    engine = db.make_engine(url)
    settings = settings_for(url)
    transport = sending_transport(endpoint, concurrency=concurrency, processes=processes)
    start = time.perf_counter()
    options = SendOptions(date=DATE, rate=rate, concurrency=concurrency)
    report = send_issue(engine, settings, transport, options=options)
    elapsed = time.perf_counter() - start
    transport.close()
    engine.dispose()
    assert report.status == "finished", report.stop_reason
    return {"sent": report.sent, "elapsed": elapsed, "rate": report.sent / elapsed}


def _thread_us(fn: Callable[[int], object], count: int) -> float:
    """This thread's CPU time per call of ``fn(i)``, i in range(count), in µs (best of 3)."""
    fn(0)
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        for i in range(count):
            fn(i)
        best = min(best, time.thread_time() - start)
    return round(best / count * 1e6, 1)


def stages(folder: Path, endpoint: str, *, count: int) -> dict[str, float]:
    """What each stage costs per message, single-threaded (CPU µs of the calling thread).

    ``build``: the recipient's message (token, personalization, MIME); ``ledger``: one claim
    committed, then its sent result committed, on the driver cursor (the writer's statements;
    the writer groups them under load, so this is its cost without grouping);
    ``transport``: our ``SesTransport.send``; ``bare_call``: the bare loop's ``send_email``
    with boto3's default validation, ``bare_call_no_validation`` without.
    """
    with seeded(folder, "stages", count) as url:
        mailer = issue_mailer(url)
        jobs = [Job(i, i, f"reader{i}@example.com", f"Reader {i}") for i in range(1, count + 1)]
        message = mailer.message(jobs[0])
        out = {"build": _thread_us(lambda i: mailer.message(jobs[i]), count)}
        engine = db.make_engine(url)
        with db.transaction(engine) as session:
            issue_id = get_issue(session, DATE).id
            list_id = get_list(session, "daily").id
        plan_rows(engine, issue_id=issue_id, list_id=list_id)
        with engine.connect() as conn:
            ids = list(conn.execute(select(Delivery.id).order_by(Delivery.id)).scalars())
        statements = LedgerStatements(engine.dialect)
        raw = engine.raw_connection()
        cursor = raw.cursor()
        pending = iter(ids)

        def ledger_one(_: int) -> None:
            delivery_id = next(pending)
            statements.claim(cursor, [delivery_id])
            raw.commit()
            statements.apply(cursor, [Result(delivery_id, Verdict.SENT, message_id="m")])
            raw.commit()

        out["ledger"] = _thread_us(ledger_one, (len(ids) - 1) // 3)
        cursor.close()
        raw.close()
        engine.dispose()
    transport = ses_transport(endpoint, concurrency=1)
    out["transport"] = _thread_us(lambda _: transport.send(message), count)
    transport.close()
    for name, validation in (("bare_call", True), ("bare_call_no_validation", False)):
        client = ses_client(endpoint, concurrency=1, validation=validation)
        out[name] = _thread_us(lambda _: bare_send(client, message), count)  # noqa: B023
        client.close()
    return out


def throughput(folder: Path, *, count: int, concurrency: int, repeat: int) -> dict[str, Any]:
    """The pipeline's rate against the bare loop's, alternated ``repeat`` times.

    Each run measures the bare loop with boto3's default validation (the issue's
    baseline), the pipeline, the pipeline with the SES calls in 1 and in 2 sender processes
    (NEWSLETTER_SEND_PROCESSES), and the bare loop without validation (as our transport's
    client); the ratios are per run, since the shared machine's load moves between runs.
    """
    dummy_credentials()
    endpoint = Endpoint()
    variants = ("pipeline", "processes_1", "processes_2")
    try:
        per_stage = stages(folder, endpoint.url, count=min(count, 1000))
        print(f"  per message, one thread (CPU µs): {per_stage}", flush=True)
        rates: dict[str, list[float]] = {v: [] for v in ("bare", *variants, "bare_off")}
        size = 0
        for n in range(repeat):
            message = None
            for processes, variant in enumerate(variants):
                with seeded(folder, f"throughput{n}-{processes}", count) as url:
                    if message is None:
                        message = prebuilt_message(url)
                        size = len(message.raw)
                        rates["bare"].append(
                            bare_loop(endpoint.url, message, count=count, concurrency=concurrency)
                        )
                    sent = pipeline(
                        url, endpoint.url, concurrency=concurrency, rate=None, processes=processes
                    )
                    rates[variant].append(sent["rate"])
            assert message is not None
            rates["bare_off"].append(
                bare_loop(
                    endpoint.url, message, count=count, concurrency=concurrency, validation=False
                )
            )
            print(
                f"  run {n + 1}: "
                + ", ".join(f"{k} {v[-1]:.0f}/s" for k, v in rates.items())
                + f" (load {os.getloadavg()[0]:.2f})",
                flush=True,
            )
    finally:
        endpoint.close()
    bare = rates["bare"]

    def per_run(key: str, base: list[float]) -> list[float]:
        return [round(o / b, 3) for o, b in zip(rates[key], base, strict=True)]

    return {
        "messages": count,
        "concurrency": concurrency,
        "message_bytes": size,
        "stages_us": per_stage,
        "bare_per_s": [round(b) for b in bare],
        "pipeline_per_s": [round(o) for o in rates["pipeline"]],
        "processes_1_per_s": [round(o) for o in rates["processes_1"]],
        "processes_2_per_s": [round(o) for o in rates["processes_2"]],
        "bare_no_validation_per_s": [round(b) for b in rates["bare_off"]],
        "ratio_best": round(max(rates["pipeline"]) / max(bare), 3),
        "ratio_per_run": per_run("pipeline", bare),
        "ratio_no_validation_per_run": per_run("pipeline", rates["bare_off"]),
        "processes_1_ratio_per_run": per_run("processes_1", bare),
        "processes_2_ratio_per_run": per_run("processes_2", bare),
    }


# --- 2. rate --------------------------------------------------------------------------------


def max_in_window(times: list[float], span: float = 1.0) -> int:
    """The most events in any half-open window of ``span`` seconds."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - span:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def rate_figures(
    times: list[float], rate: float, *, steady: tuple[float, float] | None = None
) -> dict[str, Any]:
    """What the endpoint saw against ``rate``: the achieved rate; the most requests in any
    sliding and any calendar second; and, in the steady state, the fewest in any sliding
    second (windows starting at each arrival). The steady state is ``steady`` (from, to) on
    the endpoint's clock (every worker running), else the send less its first and last
    second."""
    times = sorted(times)
    achieved = (len(times) - 1) / (times[-1] - times[0])
    first, last = times[0], times[-1]
    lo, hi_end = steady if steady is not None else (first + 1.0, last - 1.0)
    calendar = max(
        sum(1 for t in times if int(t - first) == s) for s in range(int(last - first) + 1)
    )
    fewest, hi, fewest_at = len(times), 0, lo
    for i, t in enumerate(times):
        if t < lo:
            continue
        if t + 1.0 > hi_end:
            break
        while hi < len(times) and times[hi] < t + 1.0:
            hi += 1
        if hi - i < fewest:
            fewest, fewest_at = hi - i, t
    whole = int(rate)
    return {
        "configured_per_s": rate,
        "messages": len(times),
        "achieved_per_s": round(achieved, 2),
        "ratio": round(achieved / rate, 4),
        "max_in_any_sliding_second": max_in_window(times),
        "max_in_any_calendar_second": calendar,
        "steady_seconds": round(max(0.0, hi_end - lo), 1),
        "steady_min_in_any_sliding_second": fewest,
        "steady_min_ratio": round(fewest / whole, 4) if whole else None,
        # Where that second starts: seconds into the steady state, and before its end.
        "steady_min_at_s": [round(fewest_at - lo, 2), round(hi_end - fewest_at, 2)],
    }


def rate_check(
    folder: Path, *, rate: float, count: int, concurrency: int, processes: int = 0
) -> dict[str, Any]:
    """One send at ``rate``, the SES calls in ``processes`` sender processes (0: in the
    sending process); what the endpoint saw (:func:`rate_figures`)."""
    dummy_credentials()
    endpoint = Endpoint()
    try:
        with seeded(folder, "rate", count) as url:
            endpoint.reset()
            pipeline(url, endpoint.url, concurrency=concurrency, rate=rate, processes=processes)
            times = sorted(endpoint.times())
    finally:
        endpoint.close()
    return {"sender_processes": processes, **rate_figures(times, rate)}


# --- 3. memory ------------------------------------------------------------------------------


class NullTransport(Closing):
    """Takes every message and keeps nothing (so memory measures the pipeline only)."""

    name = "null"

    def __init__(self) -> None:
        self.count = 0

    def send(self, message: OutgoingMessage) -> str:
        self.count += 1
        return f"null-{self.count}"

    def quota(self) -> SendQuota | None:
        return None

    def close(self) -> None:
        pass


def memory_child(url: str, concurrency: int) -> None:
    """Run in a fresh process: send to everyone; print peak RSS and counts as JSON."""
    engine = db.make_engine(url)
    transport = NullTransport()
    start = time.perf_counter()
    options = SendOptions(date=DATE, rate=None, concurrency=concurrency)
    report = send_issue(engine, settings_for(url), transport, options=options)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"sent": report.sent, "status": report.status, "seconds": elapsed, "peak_kb": peak_kb}
        )
    )


def memory(folder: Path, *, small: int, big: int, concurrency: int) -> dict[str, Any]:
    results = {}
    for n in (small, big):
        with seeded(folder, f"memory{n}", n) as url:
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.send_bench",
                    "--memory-child",
                    url,
                    "--concurrency",
                    str(concurrency),
                ],
                capture_output=True,
                check=True,
                cwd=ROOT,
                timeout=6 * 3600,
            )
            results[n] = json.loads(out.stdout.splitlines()[-1])
            print(f"  {n} subscribers: {results[n]}", flush=True)
    return {
        "small": {"subscribers": small, **results[small]},
        "big": {"subscribers": big, **results[big]},
        "ratio": round(results[big]["peak_kb"] / results[small]["peak_kb"], 3),
    }


# --- 4. workers (PostgreSQL) -----------------------------------------------------------------

PG_SERVER = os.environ.get(
    "NEWSLETTER_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@contextmanager
def pg_seeded(subscribers: int) -> Iterator[str]:
    """A seeded PostgreSQL schema of its own; dropped afterwards."""
    from sqlalchemy import create_engine, text

    schema = f"bench_{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    try:
        seed(url, subscribers)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


class QuotaAsOnAws(SesTransport):
    """The production transport, taking the local endpoint's quota as SES's own (a local
    endpoint's quota is otherwise a placeholder the planner ignores)."""

    def quota(self) -> SendQuota | None:
        found = super().quota()
        return dataclasses.replace(found, real=True) if found is not None else None


def workers_send(
    url: str,
    endpoint: Endpoint,
    *,
    workers: int,
    concurrency: int,
    rate: float | None,
    trust_quota: bool = False,
    processes: int = 0,
) -> dict[str, Any]:
    """One send by ``workers`` worker processes (1: this process), each with its SES calls
    in ``processes`` sender processes (0: in the worker); rates from arrivals."""
    settings = settings_for(url).model_copy(
        update={"transport": "ses", "ses_endpoint_url": endpoint.url, "send_processes": processes}
    )
    engine = db.make_engine(url)
    transport = (
        QuotaAsOnAws(client=ses_client(endpoint.url, concurrency=concurrency, validation=False))
        if trust_quota
        else sending_transport(endpoint.url, concurrency=concurrency, processes=processes)
    )
    options = SendOptions(date=DATE, rate=rate, concurrency=concurrency, workers=workers)
    # The endpoint's clock is CLOCK_MONOTONIC (shared by the processes of this host); the
    # workers' rows are on the wall clock.
    offset = time.time() - time.monotonic()
    before = CpuReading.now(endpoint.proc.pid or 0)
    start = time.perf_counter()
    report = send_issue(engine, settings, transport, options=options)
    elapsed = time.perf_counter() - start
    transport.close()
    cpu = before.shares(CpuReading.now(endpoint.proc.pid or 0), messages=report.sent)
    with db.transaction(engine) as session:
        rows = list(session.scalars(select(SendWorker).where(SendWorker.sent > 0)))
        # Every worker running: from one second after the last one joined to the first end.
        steady = (
            max(w.started_at for w in rows).timestamp() - offset + 1.0,
            min(w.heartbeat_at for w in rows).timestamp() - offset,
        )
    engine.dispose()
    assert report.status == "finished", report.stop_reason
    times = sorted(endpoint.times())
    endpoint.reset()
    found: dict[str, Any] = {
        "workers": workers,
        "sender_processes": processes,
        "sent": report.sent,
        "wall_s": round(elapsed, 2),
        "wall_per_s": round(report.sent / elapsed),
        "endpoint_per_s": round((len(times) - 1) / (times[-1] - times[0])),
        "max_in_any_sliding_second": max_in_window(times),
        "cpu": cpu,
    }
    effective = report.rate.effective
    if effective is not None:
        found["rate"] = rate_figures(times, effective, steady=steady)
    return found


_HZ = os.sysconf("SC_CLK_TCK")


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    """Process ``pid``'s name and the fields of /proc/PID/stat after it (from the state on);
    None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            head, rest = f.read().rsplit(")", 1)
    except (FileNotFoundError, ProcessLookupError):
        return None
    return head.split("(", 1)[1], rest.split()


def _cpu_seconds(fields: list[str], *, reaped: bool = False) -> float:
    """CPU seconds in a process's stat ``fields`` (with its reaped children's if ``reaped``)."""
    # From the state (field 3): utime, stime, cutime, cstime are fields 14-17.
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _HZ


def _proc_times(pid: int) -> float:
    """CPU seconds of process ``pid``; 0 if it is gone."""
    found = _stat(pid)
    return _cpu_seconds(found[1]) if found is not None else 0.0


def _postgres_seconds() -> float:
    """CPU seconds of the PostgreSQL server: its live processes, and through the postmaster's
    reaped-children times, the backends that have ended (one per connection closed)."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        found = _stat(entry.name)
        if found is None or found[0] != "postgres":
            continue
        fields = found[1]
        total += _cpu_seconds(fields, reaped=int(fields[1]) == 1)
    return total


@dataclasses.dataclass(frozen=True)
class CpuReading:
    """Where the machine's CPU time had gone at one moment (seconds since each started)."""

    at: float
    busy: float
    iowait: float
    ours: float
    endpoint: float
    postgres: float

    @classmethod
    def now(cls, endpoint_pid: int) -> CpuReading:
        with open("/proc/stat") as f:
            user, nice, system, _idle, iowait, irq, softirq, steal = map(
                int, f.readline().split()[1:9]
            )
        own = os.times()
        return cls(
            at=time.monotonic(),
            busy=(user + nice + system + irq + softirq + steal) / _HZ,
            iowait=iowait / _HZ,
            # This process and every child it has reaped: worker processes the core started
            # and sender processes (read after they are joined).
            ours=own.user + own.system + own.children_user + own.children_system,
            endpoint=_proc_times(endpoint_pid),
            postgres=_postgres_seconds(),
        )

    def shares(self, later: CpuReading, *, messages: int) -> dict[str, Any]:
        """How the cores were shared from this reading to ``later``: cores in use on average
        by each part, and each part's CPU per message (µs)."""
        span = later.at - self.at
        parts = {
            "senders": later.ours - self.ours,
            "postgres": later.postgres - self.postgres,
            "endpoint": later.endpoint - self.endpoint,
        }
        parts["other"] = max(0.0, later.busy - self.busy - sum(parts.values()))
        cores = {name: round(seconds / span, 2) for name, seconds in parts.items()}
        # Waiting for the disk (PostgreSQL's commits) is idle time the kernel tells apart.
        cores["iowait"] = round((later.iowait - self.iowait) / span, 2)
        cores["idle"] = round(max(0.0, (os.cpu_count() or 1) - sum(cores.values())), 2)
        per_message = {name: round(seconds / messages * 1e6) for name, seconds in parts.items()}
        return {"cores": cores, "cpu_us_per_message": per_message}


#: Seconds the endpoint takes to answer a SendEmail in the network-bound 1 vs 2 comparison.
NETWORK_DELAY = 0.03


def workers_check(
    *, count: int, concurrency: int, rate_count: int, network_count: int
) -> dict[str, Any]:
    """1 vs 2 worker processes, no limit, and 1 worker with 2 sender processes; then the rate
    held by 1, 2 and 4 workers at 200/s, and by 2 workers at SES's MaxSendRate (200/s from
    GetAccount, no --rate); then 1 vs 2 again with an endpoint that answers after
    :data:`NETWORK_DELAY` (``network_count`` readers)."""
    dummy_credentials()
    endpoint = Endpoint()
    held: dict[str, Any] = {}
    try:
        one, two = one_vs_two(endpoint, count=count, concurrency=concurrency)
        # One worker using the second core another way: its SES calls in 2 sender processes.
        with pg_seeded(count) as url:
            endpoint.reset()
            one_split = workers_send(
                url, endpoint, workers=1, concurrency=concurrency, rate=None, processes=2
            )
            print(f"  1 worker, 2 sender processes: {one_split}", flush=True)
        for workers in (1, 2, 4):
            with pg_seeded(rate_count) as url:
                endpoint.reset()
                found = workers_send(
                    url, endpoint, workers=workers, concurrency=concurrency, rate=200.0
                )
                held[f"rate_200_{workers}_workers"] = found
                print(f"  {workers} worker(s) at 200/s: {found}", flush=True)
    finally:
        endpoint.close()
    quota_endpoint = Endpoint(max_send_rate=200.0)
    try:
        with pg_seeded(rate_count) as url:
            found = workers_send(
                url, quota_endpoint, workers=2, concurrency=concurrency, rate=None, trust_quota=True
            )
            held["max_send_rate_200_2_workers"] = found
            print(f"  2 workers at MaxSendRate 200/s: {found}", flush=True)
    finally:
        quota_endpoint.close()
    # The same 1 vs 2 with SES-like answers: the workers wait on the network, as they do
    # against SES, instead of sharing the two cores with PostgreSQL and the endpoint.
    slow_endpoint = Endpoint(delay=NETWORK_DELAY)
    try:
        one_waiting, two_waiting = one_vs_two(
            slow_endpoint,
            count=network_count,
            concurrency=concurrency,
            note=f", answers after {NETWORK_DELAY * 1000:.0f} ms",
        )
    finally:
        slow_endpoint.close()
    return {
        "one_worker": one,
        "two_workers": two,
        "ratio_wall": two_over_one(one, two, "wall_per_s"),
        "ratio_endpoint": two_over_one(one, two, "endpoint_per_s"),
        "one_worker_two_sender_processes": one_split,
        "sender_processes_ratio_wall": two_over_one(one, one_split, "wall_per_s"),
        "sender_processes_ratio_endpoint": two_over_one(one, one_split, "endpoint_per_s"),
        "network_delay_s": NETWORK_DELAY,
        "one_worker_waiting": one_waiting,
        "two_workers_waiting": two_waiting,
        "ratio_wall_waiting": two_over_one(one_waiting, two_waiting, "wall_per_s"),
        "ratio_endpoint_waiting": two_over_one(one_waiting, two_waiting, "endpoint_per_s"),
        **held,
    }


def one_vs_two(
    endpoint: Endpoint, *, count: int, concurrency: int, note: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A send by 1 worker, then one by 2, each to ``count`` fresh readers, no rate limit."""
    sends = []
    for workers in (1, 2):
        with pg_seeded(count) as url:
            endpoint.reset()
            sends.append(
                workers_send(url, endpoint, workers=workers, concurrency=concurrency, rate=None)
            )
            print(f"  {workers} worker(s){note}: {sends[-1]}", flush=True)
    return sends[0], sends[1]


def two_over_one(one: dict[str, Any], two: dict[str, Any], key: str) -> float:
    """``two[key] / one[key]``, rounded as the report shows ratios."""
    return round(float(two[key]) / float(one[key]), 3)


def million_model(
    *, readers: int = 1_000_000, ses_rate: float = 1000.0, workers: int = 10
) -> dict[str, Any]:
    """A million-reader send on AWS at SES 1,000/s: slices, workers, minutes, Lambda cost.

    Lambda prices (us-east-1, x86): $0.0000166667 per GB-second, $0.20 per million
    requests; SQS $0.40 per million requests (send, receive, delete: 3 per slice).
    """
    share = ses_rate / workers
    rows = slice_rows(ses_rate, workers=workers, seconds=300)
    slices = -(-readers // rows)
    send_seconds = readers / ses_rate
    memory_gb = 1.0
    worker_seconds = readers / share  # every worker busy at its share for the whole send
    lambda_cost = worker_seconds * memory_gb * 0.0000166667 + (slices + 1) * 0.20 / 1e6
    sqs_cost = slices * 3 * 0.40 / 1e6
    return {
        "readers": readers,
        "ses_rate_per_s": ses_rate,
        "maximum_concurrency": workers,
        "share_per_worker_per_s": share,
        "rows_per_slice": rows,
        "slices": slices,
        "minutes_per_slice": round(rows / share / 60, 1),
        "send_minutes": round(send_seconds / 60, 1),
        "worker_gb_seconds": round(worker_seconds * memory_gb),
        "lambda_usd": round(lambda_cost, 2),
        "sqs_usd": round(sqs_cost, 4),
        "ses_usd_for_comparison": round(readers / 1000 * 0.10, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=["throughput", "rate", "memory", "workers"])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--memory-child", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.concurrency)
        return
    q = args.quick
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")
    print(f"load: {os.getloadavg()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.only in (None, "throughput"):
            print("1. throughput, pipeline vs bare boto3 loop:", flush=True)
            print(
                json.dumps(
                    throughput(
                        folder,
                        count=500 if q else 5000,
                        concurrency=args.concurrency,
                        repeat=1 if q else 3,
                    )
                )
            )
        if args.only in (None, "rate"):
            print("2. achieved vs configured rate:", flush=True)
            # 200/s for the pace at scale, 14/s for SES's usual production start; 200/s
            # again with the SES calls in a sender process.
            runs = (
                ((50, 200, 0), (50, 200, 1))
                if q
                else ((200, 4000, 0), (14, 420, 0), (200, 4000, 1))
            )
            for rate, count, processes in runs:
                result = rate_check(
                    folder,
                    rate=rate,
                    count=count,
                    concurrency=args.concurrency,
                    processes=processes,
                )
                print(json.dumps(result), flush=True)
        if args.only in (None, "memory"):
            print("3. peak memory, big list vs small list:", flush=True)
            print(
                json.dumps(
                    memory(
                        folder,
                        small=1000 if q else 10_000,
                        big=20_000 if q else 1_000_000,
                        concurrency=args.concurrency,
                    )
                )
            )

    if args.only in (None, "workers"):
        print("4. workers on PostgreSQL, 2 vs 1, and the rate across 1, 2, 4 at 200/s:", flush=True)
        result = workers_check(
            count=2000 if q else 20_000,
            concurrency=args.concurrency,
            rate_count=400 if q else 4000,
            network_count=800 if q else 8000,
        )
        print(json.dumps(result), flush=True)
        print("   model: 1,000,000 readers at SES 1,000/s on Lambda:", flush=True)
        print(json.dumps(million_model()), flush=True)
    print(f"load at the end: {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()

"""Several worker processes over one ledger, on PostgreSQL, through moto's SES over HTTP.

Each recipient gets exactly one message whatever the number of workers; the run's rate holds
across all of them in every sliding second at the endpoint; a worker SIGKILLed at a random
point leaves its slice to the others, and a rerun after killing everything skips nobody and
duplicates only rows marked uncertain. On SQLite the send stays one worker and says so.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.db import transaction
from newsletter.models import DeliveryState, IssueStatus, SendWorker
from newsletter.sending import SendOptions, send_issue, send_status
from newsletter.settings import Settings
from newsletter.transport import make_transport
from tests.support.factories import all_settings_env
from tests.support.sending import DATE, FaultProxy, Ses, World, max_in_window

pytestmark = pytest.mark.slow

ProxyFactory = Callable[[Callable[[int], str | None]], FaultProxy]


def _never(n: int) -> str | None:
    return None


def _postgres(world: World) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL")


def _ses_settings(world: World, proxy: FaultProxy) -> Settings:
    return world.settings.model_copy(
        update={"transport": "ses", "ses_endpoint_url": proxy.url, "send_concurrency": 4}
    )


@pytest.mark.parametrize(
    ("workers", "processes"),
    [(1, 0), (2, 0), (4, 0), (2, 1)],
    ids=["1", "2", "4", "2-with-sender-processes"],
)
def test_workers_send_each_recipient_exactly_one_message_within_the_rate(
    world: World, ses: Ses, fault_proxy: ProxyFactory, workers: int, processes: int
) -> None:
    if workers > 1:
        _postgres(world)
    ids = world.add_bulk(5000)
    proxy = fault_proxy(_never)
    proxy.keep_bodies = False
    # With sender processes, each worker (the ones the core starts too: they get these
    # settings) makes its SES calls in a child of its own.
    settings = _ses_settings(world, proxy).model_copy(update={"send_processes": processes})
    rate = 400.0
    transport = make_transport(settings, concurrency=4)
    try:
        report = send_issue(
            world.engine,
            settings,
            transport,
            options=SendOptions(date=DATE, rate=rate, concurrency=4, workers=workers),
        )
    finally:
        transport.close()
    assert report.status == "finished", report.stop_reason
    assert report.workers == workers
    assert report.sent == 5000
    assert report.to_send == 5000
    got = Counter(proxy.destinations)
    assert set(got) == {world.emails[i] for i in ids}
    assert set(got.values()) == {1}, "each recipient exactly one message"
    # The rate is the run's, across every worker, in every sliding second at the endpoint.
    assert max_in_window(proxy.arrival_times) <= rate
    rows = world.deliveries()
    assert {r.state for r in rows.values()} == {DeliveryState.SENT}
    assert world.issue_status() is IssueStatus.SENT
    with transaction(world.engine) as session:
        rows_w = list(session.scalars(select(SendWorker)))
    # Every worker took part, and its counts add up to the whole.
    assert len(rows_w) >= workers
    assert sum(w.sent for w in rows_w) == 5000
    assert sum(1 for w in rows_w if w.sent) >= workers - 1
    status = send_status(world.engine, date=DATE)
    assert status.slices == {"open": 0, "taken": 0, "done": 5}
    assert {w.state for w in status.workers} == {"ended"}


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(all_settings_env(settings))
    return env


def _command(workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "newsletter",
        "send",
        "issue",
        "--date",
        DATE.isoformat(),
        "--rate",
        "150",
        "--concurrency",
        "4",
        "--workers",
        str(workers),
        "--json",
    ]


def _live_worker_pids(world: World) -> list[int]:
    with transaction(world.engine) as session:
        owners = [w.owner for w in session.scalars(select(SendWorker).where(SendWorker.live))]
    return [int(o.split(":")[1]) for o in owners]


def _wait_for(check: Callable[[], bool], *, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not check():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@pytest.mark.parametrize("seed", [3, 4])
def test_a_worker_killed_then_everything_killed_then_rerun(
    world: World, ses: Ses, fault_proxy: ProxyFactory, tmp_path: Path, seed: int
) -> None:
    _postgres(world)
    ids = world.add_bulk(1200)
    proxy = fault_proxy(_never)
    proxy.keep_bodies = False
    env = _env(_ses_settings(world, proxy))
    rng = random.Random(seed)
    proc = subprocess.Popen(
        _command(3), env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        first_kill = rng.randint(20, 300)
        _wait_for(lambda: len(proxy.destinations) >= first_kill, proc=proc, what="no progress")
        # One of the processes `send issue` started (it is a worker itself, too).
        _wait_for(
            lambda: bool(set(_live_worker_pids(world)) - {proc.pid}), proc=proc, what="no children"
        )
        victim = rng.choice(sorted(set(_live_worker_pids(world)) - {proc.pid}))
        os.kill(victim, signal.SIGKILL)
        # The others go on and take the victim's slice over.
        assert proc.poll() is None
        second_kill = len(proxy.destinations) + rng.randint(50, 400)
        _wait_for(lambda: len(proxy.destinations) >= second_kill, proc=proc, what="stalled")
        for pid in [*_live_worker_pids(world), proc.pid]:
            with contextlib.suppress(ProcessLookupError):  # the first victim is gone
                os.kill(pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert len(proxy.destinations) < 1200, "killed before the end"
    rerun = subprocess.run(
        _command(2), env=env, cwd=tmp_path, capture_output=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr.decode()
    report: dict[str, Any] = json.loads(rerun.stdout)
    assert report["status"] == "finished"
    rows = world.deliveries()
    uncertain = {sid for sid, r in rows.items() if r.uncertain}
    got = Counter(proxy.destinations)
    by_email = {world.emails[i]: i for i in ids}
    assert set(got) == set(by_email), "nobody skipped, nobody foreign"
    twice = {by_email[e] for e, n in got.items() if n > 1}
    assert twice <= uncertain, "a second copy only where a row was marked uncertain"
    assert {r.state for r in rows.values()} == {DeliveryState.SENT}
    assert world.issue_status() is IssueStatus.SENT


def test_sqlite_sends_with_one_worker_and_says_so(
    world: World, runner: CliRunner, cli_env: Settings
) -> None:
    if world.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite answer")
    world.add(3)
    result = runner.invoke(app, ["send", "issue", "--date", DATE.isoformat(), "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "SQLite runs one worker" in result.stdout
    assert "3 were asked for" in result.stdout
    joined = runner.invoke(app, ["send", "work", "--date", DATE.isoformat()])
    assert joined.exit_code == 2
    assert joined.stderr.strip().splitlines() == [
        "error: SQLite runs one worker (several need PostgreSQL): `send work` cannot join a "
        "send on SQLite"
    ]


def test_two_sends_at_once_one_sends_the_other_says_why(
    world: World, tmp_path: Path, settings: Settings
) -> None:
    ids = world.add_bulk(300)
    env = _env(settings)
    command = [
        sys.executable, "-m", "newsletter", "send", "issue", "--date", DATE.isoformat(),
        "--rate", "0", "--json",
    ]  # fmt: skip
    procs = [
        subprocess.Popen(
            command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    loser = next(err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode == 2)
    lines = loser.decode().strip().splitlines()
    assert len(lines) == 1, lines
    # Either it met the running send, or (when the winner was quicker) the finished one.
    assert lines[0].startswith(
        (
            "error: another send of the issue of 2025-08-14 ",
            "error: the issue of 2025-08-14 was already sent to 'daily'",
        )
    ), lines
    files = [p for p in settings.file_outbox.iterdir() if p.suffix == ".eml"]
    assert len(files) == len(ids)

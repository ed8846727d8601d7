"""A send killed with SIGKILL at a random point, then run again (the real CLI, in a process).

No active subscriber is skipped and none is mailed twice, except rows the rerun reported as
uncertain (left "sending" by the killed process: it may or may not have handed them over).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from newsletter.models import DeliveryState, IssueStatus
from newsletter.sending.runs import process_gone
from newsletter.settings import Settings
from tests.support.factories import settings_env
from tests.support.mail import outbox_files, parse
from tests.support.sending import World

pytestmark = pytest.mark.slow


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    processes = {"NEWSLETTER_SEND_PROCESSES": str(settings.send_processes)}
    return {**env, **settings_env(settings), **processes}


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
        except OSError:  # ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


COMMAND = [
    sys.executable,
    "-m",
    "newsletter",
    "send",
    "issue",
    "--date",
    "2025-08-14",
    "--rate",
    "40",
    "--concurrency",
    "4",
    "--json",
]


def _outbox(settings: Settings) -> list[Path]:
    return outbox_files(settings.file_outbox)


def _kill_after(settings: Settings, *, files: int, cwd: Path) -> None:
    """Start the send and SIGKILL it once ``files`` more messages are in the outbox."""
    before = len(_outbox(settings))
    proc = subprocess.Popen(
        COMMAND, env=_env(settings), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while len(_outbox(settings)) < before + files:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the send did not progress"
        time.sleep(0.005)
    children = _children(proc.pid)
    if settings.send_processes:
        assert children, "the sender process runs"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    while not all(process_gone(c) for c in children):
        assert time.monotonic() < deadline + 30, "a child of the killed send lives on"
        time.sleep(0.01)


def _run_to_end(settings: Settings, *, cwd: Path) -> dict[str, Any]:
    done = subprocess.run(
        COMMAND, env=_env(settings), cwd=cwd, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.mark.parametrize(
    ("seed", "processes"),
    [(1, 0), (2, 0), (1, 1)],
    ids=["seed1", "seed2", "seed1-sender-process"],
)
def test_sigkill_at_a_random_point_then_rerun(
    world: World, tmp_path: Path, seed: int, processes: int
) -> None:
    ids = world.add(80)
    rng = random.Random(seed)
    # With a sender process, SIGKILL ends the parent only: its child must see the pipe close,
    # finish what it holds and end by itself (``_kill_after`` waits for that).
    settings = world.settings.model_copy(update={"send_processes": processes})
    uncertain: set[int] = set()
    # Killed twice at random points, then run to the end.
    _kill_after(settings, files=rng.randint(3, 35), cwd=tmp_path)
    second_kill = rng.randint(3, 30)
    _kill_after(settings, files=second_kill, cwd=tmp_path)
    proc_report = _run_to_end(settings, cwd=tmp_path)
    assert proc_report["status"] == "finished"
    # The killed process still "held" the lock: the rerun took it over at once.
    assert "took over run" in proc_report["took_over"]
    uncertain |= set(proc_report["uncertain_subscriber_ids"])
    # Each run reports its uncertain rows, and the ledger keeps the note on them (the
    # reports of the killed runs are lost with them).
    rows = world.deliveries()
    uncertain |= {sid for sid, r in rows.items() if r.uncertain}

    received = Counter(
        parse(p.read_bytes())["To"].addresses[0].addr_spec for p in _outbox(settings)
    )
    by_email = {world.emails[i]: i for i in ids}
    assert set(received) == set(by_email), "nobody skipped, nobody foreign"
    twice = {by_email[e] for e, n in received.items() if n > 1}
    assert twice <= uncertain, "a second copy only where the run reported uncertainty"
    assert max(received.values()) <= 3
    assert {r.state for r in rows.values()} == {DeliveryState.SENT}
    assert world.issue_status() is IssueStatus.SENT

"""Local worker processes: `send issue --workers N` starts N `newsletter send work` processes.

Each child gets the parent's settings as ``NEWSLETTER_*`` variables (so a library caller's
:class:`Settings` object reaches it too) and joins the run by its id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import IO

from newsletter.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as the environment variables that would give them back."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        key = f"NEWSLETTER_{name.upper()}"
        env[key] = value if isinstance(value, str) else json.dumps(value)
    return env


@dataclass
class LocalWorkers:
    """The started processes; :meth:`wait` collects them."""

    procs: list[subprocess.Popen[bytes]]
    logs: list[IO[bytes]] = field(default_factory=list)

    def exited(self) -> list[int]:
        """Return codes of those that ended so far (negative: killed by that signal)."""
        return [code for code in (p.poll() for p in self.procs) if code is not None]

    def last_error(self) -> str:
        """The last stderr line of the first worker that ended with an error ("" if none)."""
        for p, log in zip(self.procs, self.logs, strict=True):
            if p.poll() and not log.closed:
                log.seek(0)
                lines = log.read().decode("utf-8", "replace").strip().splitlines()
                return lines[-1] if lines else ""
        return ""

    def terminate(self) -> None:
        """Ask every running one to stop cleanly (SIGTERM: it gives its slice back)."""
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        """Wait for all to end."""
        for p in self.procs:
            p.wait()

    def close(self) -> None:
        """Drop the captured stderr of each."""
        for log in self.logs:
            log.close()


def start_workers(
    settings: Settings, *, date: str, run_id: int, count: int, concurrency: int
) -> LocalWorkers:
    """Start ``count`` `newsletter send work` processes on the run ``run_id``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(settings_env(settings))
    command = [
        sys.executable,
        "-m",
        "newsletter",
        "send",
        "work",
        "--date",
        date,
        "--run",
        str(run_id),
        "--concurrency",
        str(concurrency),
        "--json",
    ]
    workers = LocalWorkers([])
    for _ in range(count):
        log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by wait)
        workers.logs.append(log)
        workers.procs.append(
            subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
        )
    return workers

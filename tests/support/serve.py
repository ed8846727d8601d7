"""`newsletter serve` as a real process on a free loopback port, for the tests that need the
server itself (its address checks, its proxy handling, its static routes)."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine

from newsletter.settings import Settings
from tests.support.ports import free_port

#: How long a starting server may take to answer /healthz.
START_SECONDS = 30


def start_serve(
    *, env: dict[str, str], cwd: Path, host: str = "127.0.0.1"
) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``python -m newsletter serve`` on ``host`` and a free port, with exactly ``env``;
    returns the process (stderr piped) and the port. Does not wait for it."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "newsletter", "serve", "--host", host, "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return process, port


def wait_until_serving(process: subprocess.Popen[bytes], port: int) -> httpx.Response:
    """The first answer of /healthz; fails the test with the server's stderr if it exits, or
    after :data:`START_SECONDS` without an answer."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, "newsletter serve did not answer"
            time.sleep(0.1)


def stop_serve(process: subprocess.Popen[bytes]) -> str:
    """Stop the server; returns what it wrote to stderr."""
    process.terminate()
    process.wait(timeout=10)
    return process.stderr.read().decode("utf-8") if process.stderr else ""


@contextlib.contextmanager
def app_on_loopback(settings: Settings, *, engine: Engine, **update: Any) -> Iterator[Settings]:
    """The app on a real uvicorn server on a free loopback port, in a thread of this
    process; yields ``settings`` (with ``update``) pointing at it."""
    import uvicorn

    from subscribers.app import create_app

    port = free_port()
    live = settings.model_copy(update={"base_url": f"http://127.0.0.1:{port}", **update})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(live, engine=engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=10)

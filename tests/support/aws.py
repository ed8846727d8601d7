"""A local AWS: moto's server (``moto_server``) over HTTP on a free loopback port.

One helper for every user: the sending tests (SES), the web service tests (SSM) and the
demo. moto's server ignores SIGTERM, so it is stopped with SIGKILL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tests.support.ports import free_port

#: Placeholder credentials: the local AWS accepts any.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class MotoError(RuntimeError):
    """moto's server did not start."""


def moto_binary() -> Path:
    """``moto_server`` of the running environment."""
    return Path(sys.executable).with_name("moto_server")


@contextmanager
def running_moto(
    *, env: Mapping[str, str] | None = None, log: IO[bytes] | None = None, timeout: float = 30
) -> Iterator[str]:
    """Start moto's server on a free loopback port; yields its URL; killed on exit.

    Raises :class:`MotoError` when it does not answer within ``timeout`` seconds.
    """
    port = free_port()
    out = log if log is not None else subprocess.DEVNULL
    proc = subprocess.Popen(
        [str(moto_binary()), "-H", "127.0.0.1", "-p", str(port)],
        stdout=out,
        stderr=out,
        env={**os.environ, **AWS_ENV, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise MotoError("moto_server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)


def reset(url: str) -> None:
    """Forget everything the server holds (identities, messages, parameters)."""
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def verify_sender(url: str, address: str) -> None:
    """Verify ``address`` as an SES identity (SES refuses unverified senders)."""
    import boto3  # the only direct AWS call of the set-up

    client = boto3.client(
        "ses",
        region_name=AWS_ENV["AWS_DEFAULT_REGION"],
        endpoint_url=url,
        aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.verify_email_identity(EmailAddress=address)


def accepted(url: str) -> list[dict[str, Any]]:
    """What SES accepted: moto's RawMessage records (``destinations``, ``raw_data``)."""
    with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=10) as r:
        data = json.load(r)
    messages: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
    return messages

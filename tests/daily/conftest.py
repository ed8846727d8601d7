"""Fixtures of the daily-job tests: a list with active subscribers and a local feed server."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsletter.audience import add_subscriber, unsubscribe
from newsletter.db import transaction
from newsletter.feedback.suppression import record_bounce
from tests.support.servers import serving

READERS = ["reader1@example.com", "reader2@example.com", "reader3@example.org"]


@pytest.fixture
def readers(engine: Engine) -> list[str]:
    """Three active subscribers of the default list; one unsubscribed, one bounced, one pending."""
    with transaction(engine) as session:
        for email in [*READERS, "gone@example.com", "bounced@example.com"]:
            add_subscriber(session, email=email, list_name="daily", confirmed=True)
        add_subscriber(session, email="pending@example.com", list_name="daily")
        gone = add_subscriber(session, email="gone@example.com", list_name="daily").subscriber
        assert gone is not None
        unsubscribe(session, subscriber_id=gone.id, list_id=None, method="operator")
        record_bounce(session, email="bounced@example.com", permanent=True, detail="", soft_limit=3)
    return READERS


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def feed_server(samples: Path) -> Iterator[str]:
    """An HTTP server on loopback serving tests/samples; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(samples)))
    with serving(server) as url:
        yield url

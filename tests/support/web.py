"""The subscriber web service as the tests reach it: the app over a test database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.sns import SnsSigner

BASE_URL = "https://news.example.com"


@contextmanager
def app_client(settings: Settings, *, engine: Engine, signer: SnsSigner) -> Iterator[TestClient]:
    """A test client of the app over ``engine``, verifying SNS messages with ``signer``'s
    local certificate; the app's lifespan runs while the block is open."""
    app = create_app(settings, engine=engine, sns_verifier=signer.verifier())
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client

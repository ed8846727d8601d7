"""Fixtures of the web service tests: the app on both databases, a local AWS (the SNS signer
is in tests/conftest.py; helpers in tests/support: factories, audience, sns, aws, web)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event
from starlette.testclient import TestClient

from newsletter.settings import Settings
from tests.support import aws
from tests.support.sns import TOPIC, SnsSigner
from tests.support.web import app_client


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The test settings plus an accepted SNS topic and small sign-up limits."""
    return settings.model_copy(
        update={
            "sns_topic_arns": [TOPIC],
            "subscribe_rate_per_address": 2,
            "subscribe_rate_per_client": 8,
        }
    )


@pytest.fixture
def client(web_settings: Settings, engine: Engine, sns_signer: SnsSigner) -> Iterator[TestClient]:
    """The app over the test database, the file transport, and the local SNS certificate."""
    with app_client(web_settings, engine=engine, signer=sns_signer) as test_client:
        yield test_client


# --- a local AWS (moto's server over HTTP) for the Lambda handlers' SSM settings -------------


@pytest.fixture(scope="session")
def moto_url(moto_endpoint: str) -> str:
    """The session's moto server (tests/conftest.py), under the name the web tests use."""
    return moto_endpoint


@pytest.fixture
def aws_env(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """AWS clients made in this test talk to the local moto server; returns its URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", moto_url)
    for key, value in aws.AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_url


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    """The first word of every SQL statement run on the test engine from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)

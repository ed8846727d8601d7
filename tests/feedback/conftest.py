"""Fixtures of the feedback tests: settings with the accepted topic, the app (the SNS signer
is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.settings import Settings
from tests.support.sns import TOPIC, SnsSigner
from tests.support.web import app_client


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The test settings plus the accepted SNS topic."""
    return settings.model_copy(update={"sns_topic_arns": [TOPIC]})


@pytest.fixture
def client(web_settings: Settings, engine: Engine, sns_signer: SnsSigner) -> Iterator[TestClient]:
    """The app over the test database, verifying with the local SNS certificate."""
    with app_client(web_settings, engine=engine, signer=sns_signer) as test_client:
        yield test_client

"""Fixtures of the feedback tests: settings with the accepted topic, the SNS signer, the app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.sns import TOPIC, SnsSigner, serve_sns


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    """The test settings plus the accepted SNS topic."""
    return settings.model_copy(update={"sns_topic_arns": [TOPIC]})


@pytest.fixture(scope="session")
def sns_key() -> rsa.RSAPrivateKey:
    """The signing key (2048-bit RSA, like SNS's)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sns_signer(sns_key: rsa.RSAPrivateKey) -> Iterator[SnsSigner]:
    """A local HTTP server serving the certificate, and a signer that points at it."""
    with serve_sns(sns_key) as signer:
        yield signer


@pytest.fixture
def client(web_settings: Settings, engine: Engine, sns_signer: SnsSigner) -> Iterator[TestClient]:
    """The app over the test database, verifying with the local SNS certificate."""
    app = create_app(web_settings, engine=engine, sns_verifier=sns_signer.verifier())
    with TestClient(app, base_url="https://news.example.com") as test_client:
        yield test_client

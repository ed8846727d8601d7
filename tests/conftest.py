"""Shared fixtures: every database test runs on SQLite and on PostgreSQL (127.0.0.1:5432).

PostgreSQL tests use a schema of their own per test session (so parallel runs never collide),
migrated once; each test starts from empty tables. Set NEWSLETTER_TEST_REQUIRE_POSTGRES=1 (as
`make test` does) to fail instead of skip when PostgreSQL is unreachable.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from newsletter import db
from newsletter.models import Base
from newsletter.settings import Settings
from tests.support import aws
from tests.support.browser import BrowserMissingError, chromium
from tests.support.factories import BASE_URL, SENDER, TEST_SECRET, settings_env
from tests.support.identity import TEST_POSTAL_ADDRESS
from tests.support.paths import SAMPLES
from tests.support.sending import Ses
from tests.support.sns import SnsSigner, serve_sns

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PG_SERVER = os.environ.get(
    "NEWSLETTER_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_reachable() -> bool:
    try:
        eng = create_engine(PG_SERVER, connect_args={"connect_timeout": 3})
        with eng.connect():
            pass
        eng.dispose()
        return True
    except OperationalError:
        return False


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema_url() -> Iterator[str]:
    if not _pg_reachable():
        if os.environ.get("NEWSLETTER_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is unreachable at {PG_SERVER}")
        pytest.skip("PostgreSQL is unreachable")
    schema = f"t_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(PG_SERVER)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database of each kind; the URL is what NEWSLETTER_DATABASE_URL takes."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "newsletter.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_pg_schema_url")
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test database."""
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No NEWSLETTER_* from the developer's shell or a .env file leaks into a test."""
    for key in list(os.environ):
        if key.startswith("NEWSLETTER_") and not key.startswith("NEWSLETTER_TEST_"):
            monkeypatch.delenv(key)
    # No network here: image fetching is on only in the tests that serve their own images.
    monkeypatch.setenv("NEWSLETTER_MEDIA_FETCH", "false")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    """Complete settings on the test database, with the file transport."""
    return Settings(
        database_url=db_url,
        base_url=BASE_URL,
        sender=SENDER,
        secret_key=TEST_SECRET,
        transport="file",
        file_outbox=tmp_path / "outbox",
        postal_address=TEST_POSTAL_ADDRESS,
    )


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same settings exported as NEWSLETTER_* variables, for CLI tests."""
    for key, value in settings_env(settings).items():
        monkeypatch.setenv(key, value)
    return settings


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright (imported only here, when a test asks for it).

    Module-scoped: Playwright's sync API keeps an event loop running in this thread while it
    is open, which would break later tests that run their own loop (Mangum, for one).
    """
    try:
        with chromium() as launched:
            yield launched
    except BrowserMissingError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The local AWS for the whole session: moto's server on a free loopback port."""
    with aws.running_moto() as url:
        yield url


@pytest.fixture
def ses(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Ses:
    """moto reset, AWS test credentials in the environment, news@example.com verified."""
    for key, value in aws.AWS_ENV.items():
        monkeypatch.setenv(key, value)
    aws.reset(moto_endpoint)
    aws.verify_sender(moto_endpoint, "news@example.com")
    return Ses(moto_endpoint)


@pytest.fixture(scope="session")
def sns_key() -> rsa.RSAPrivateKey:
    """The SNS signing key (2048-bit RSA, like SNS's), made once a session."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sns_signer(sns_key: rsa.RSAPrivateKey) -> Iterator[SnsSigner]:
    """A local HTTP server serving the SNS certificate, and a signer that points at it."""
    with serve_sns(sns_key) as signer:
        yield signer


@pytest.fixture
def runner() -> CliRunner:
    """Typer's CLI runner (stderr kept apart from stdout)."""
    return CliRunner()


@pytest.fixture
def samples() -> Path:
    """The sample digests and subscribers (a copy of ../shared/samples kept in the repository)."""
    return SAMPLES

"""Settings checks and database set-up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.errors import ConfigError
from newsletter.models import MailingList
from newsletter.settings import Settings, check_hex_color, load_settings


def test_required_values_name_the_variable() -> None:
    empty = Settings()
    with pytest.raises(ConfigError, match="^NEWSLETTER_SECRET_KEY is not set"):
        empty.require_secret_key()
    with pytest.raises(ConfigError, match="^NEWSLETTER_SECRET_KEY is unsafe"):
        Settings(secret_key="changeme").require_secret_key()
    with pytest.raises(ConfigError, match="^NEWSLETTER_BASE_URL is not set"):
        empty.require_base_url()
    with pytest.raises(ConfigError, match="^NEWSLETTER_BASE_URL must be an https URL"):
        Settings(base_url="http://news.example.com").require_base_url()
    assert Settings(base_url="http://127.0.0.1:8000/").require_base_url() == "http://127.0.0.1:8000"
    with pytest.raises(ConfigError, match="^NEWSLETTER_SENDER is not an email address"):
        Settings(sender="nobody").require_sender()
    assert Settings(sender="AI 日报 <news@example.com>").sender_address == "news@example.com"


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("NEWSLETTER_SENDER=News <news@example.org>\n", encoding="utf-8")
    monkeypatch.setenv("NEWSLETTER_SEND_RATE", "3.5")
    settings = load_settings()
    assert settings.sender_address == "news@example.org"
    assert settings.send_rate == 3.5
    monkeypatch.setenv("NEWSLETTER_SEND_RATE", "fast")
    with pytest.raises(ConfigError, match="^NEWSLETTER_SEND_RATE: "):
        load_settings()


@pytest.mark.parametrize("value", ["red", "#12", "#1a73e8;background:url(x)", ""])
def test_brand_colours_are_checked_when_the_settings_load(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_ACCENT_COLOR", value)
    with pytest.raises(ConfigError, match="^NEWSLETTER_ACCENT_COLOR: .*must be a hex colour"):
        load_settings()
    monkeypatch.setenv("NEWSLETTER_ACCENT_COLOR", " #AbC ")
    assert load_settings(brand_color="#1a73e8").accent_color == "#AbC"
    with pytest.raises(ConfigError, match="^NEWSLETTER_BRAND_COLOR must be a hex colour"):
        check_hex_color(value, "NEWSLETTER_BRAND_COLOR")


def test_cli_reports_a_bad_setting_in_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "pigeon")
    result = runner.invoke(app, ["db", "status"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: NEWSLETTER_TRANSPORT: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_sqlite_gets_wal_and_busy_timeout(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.SQLITE_BUSY_TIMEOUT_MS
    engine.dispose()


def test_bad_database_url() -> None:
    with pytest.raises(ConfigError, match="^NEWSLETTER_DATABASE_URL is not a database URL"):
        db.make_engine("not a url")
    unreachable = db.make_engine("postgresql://postgres@127.0.0.1:1/none")
    with pytest.raises(ConfigError, match="^NEWSLETTER_DATABASE_URL: cannot connect"):
        db.check_schema(unreachable)


def test_schema_is_current_on_both(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.check_schema(engine)
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_models_match_the_migrations(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from newsletter.models import Base

    engine = db.make_engine(db_url)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_timestamps_come_back_aware_utc_on_both(engine: Engine) -> None:
    """The one timestamp column type: any zone in, aware UTC out (SQLite keeps no zone)."""
    shanghai = dt.timezone(dt.timedelta(hours=8))
    written = dt.datetime(2025, 8, 14, 15, 30, tzinfo=shanghai)
    with db.transaction(engine) as session:
        mailing_list = MailingList(name="daily", created_at=written)
        naive = MailingList(name="other", created_at=dt.datetime(2025, 8, 14, 7, 30))
        session.add_all([mailing_list, naive])
    with db.transaction(engine) as session:
        stored = {m.name: m.created_at for m in session.scalars(select(MailingList))}
        # Compared in SQL too: both rows are the same instant.
        same = session.scalar(
            select(func.count()).where(MailingList.created_at == dt.datetime(2025, 8, 14, 7, 30))
        )
    assert stored["daily"] == written
    assert stored["daily"].tzinfo == dt.UTC
    assert stored["other"] == dt.datetime(2025, 8, 14, 7, 30, tzinfo=dt.UTC)
    assert same == 2

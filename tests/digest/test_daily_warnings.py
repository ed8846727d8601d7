"""`newsletter daily` with a digest that needs repairs: the warnings are logged, the day goes out."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from newsletter import db
from newsletter.audience import add_subscriber
from newsletter.cli import app
from newsletter.daily import run_daily
from newsletter.settings import Settings
from newsletter.transport.memory import MemoryTransport


@pytest.fixture(autouse=True)
def _reader(engine: Engine) -> None:
    with db.transaction(engine) as session:
        add_subscriber(session, email="reader@example.com", list_name="daily", confirmed=True)


BROKEN = "# AI日报 2025-08-23\n### 新闻\n1. 一条 [坏链接](javascript:x) 新闻。\n### 空\n"


def test_daily_logs_the_warnings_and_goes_on(
    engine: Engine, settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = tmp_path / "broken.md"
    source.write_text(BROKEN, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="newsletter.daily"):
        result = run_daily(settings, engine=engine, transport=MemoryTransport(), source=str(source))
    expected = [
        f"{source}:3: link 'javascript:x' dropped: not an absolute http(s) URL; its text kept",
        f"{source}:4: empty section '空' dropped",
    ]
    assert result.warnings == expected
    assert [r.getMessage() for r in caplog.records] == [f"import: {w}" for w in expected]
    assert result.composed
    assert result.rendered
    assert result.send is not None
    assert result.send.sent == 1


def test_daily_cli_prints_the_warnings(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    source = tmp_path / "broken.md"
    source.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(app, ["daily", "--source", str(source)])
    assert result.exit_code == 0, result.output + result.stderr
    assert f"warning: {source}:4: empty section '空' dropped" in result.stderr
    assert "2025-08-23: issue composed" in result.stdout

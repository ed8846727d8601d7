"""`newsletter serve`: refuses to start without what it needs, and serves when it has it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.support.serve import start_serve, stop_serve, wait_until_serving


def test_serve_without_a_secret_key_is_a_one_line_error(
    runner: CliRunner, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY")
    result = runner.invoke(app, ["serve", "--port", "8999"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: NEWSLETTER_SECRET_KEY is not set: it signs unsubscribe links"
    ]


def test_serve_on_a_database_without_schema_is_a_one_line_error(
    runner: CliRunner, cli_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2
    assert "newsletter db upgrade" in result.stderr


def test_serve_answers_on_the_given_port(cli_env: Settings, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process, _port = start_serve(env=env, cwd=tmp_path)
    try:
        response = wait_until_serving(process, _port)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}
        assert "server" not in response.headers
    finally:
        stop_serve(process)

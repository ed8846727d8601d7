"""`newsletter issue render | lint | preview` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from newsletter import db
from newsletter.cli import app
from newsletter.compose import get_issue
from newsletter.models import IssueStatus
from newsletter.render import UNSUBSCRIBE_URL_MARK
from newsletter.settings import Settings
from tests.support.ports import free_port

DATE = "2025-08-14"
DAY = dt.date(2025, 8, 14)


def _compose(runner: CliRunner, samples: Path, name: str = "ai-daily-2025-08-14.md") -> None:
    for args in (["items", "import", str(samples / name)], ["issue", "compose", "--date", DATE]):
        if name != "ai-daily-2025-08-14.md":
            args = [a.replace(DATE, "2026-01-20") for a in args]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_render_writes_files_and_stores(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine, tmp_path: Path
) -> None:
    _compose(runner, samples)
    out, text, source = tmp_path / "out/issue.html", tmp_path / "issue.txt", tmp_path / "i.mjml"
    args = ["--out", str(out), "--text", str(text), "--mjml", str(source)]
    result = runner.invoke(app, ["issue", "render", "--date", DATE, *args])
    assert result.exit_code == 0, result.output
    assert f"rendered {DATE}" in result.stdout
    assert str(out) in result.stdout
    assert "KB" in result.stdout
    assert result.stderr.count("img-format") == 2  # each warning once
    assert result.stderr.count("warning: ") == 3
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>")
    # The files are the generic reader's copy; the stored rendering keeps its markers.
    assert "__NEWSLETTER_" not in html + text.read_text(encoding="utf-8")
    assert "https://news.example.com/unsubscribe/test-send" in text.read_text(encoding="utf-8")
    assert source.read_text(encoding="utf-8").startswith("<mjml")
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        assert issue.status == IssueStatus.RENDERED
        assert issue.rendered_html is not None
        assert UNSUBSCRIBE_URL_MARK in issue.rendered_html
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_render_strict_fails_and_writes_nothing(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine, tmp_path: Path
) -> None:
    _compose(runner, samples)
    out = tmp_path / "issue.html"
    result = runner.invoke(app, ["issue", "render", "--date", DATE, "--out", str(out), "--strict"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: the issue of 2025-08-14 has 3 lint warnings")
    assert not out.exists()
    with db.transaction(engine) as session:
        assert get_issue(session, DAY).status == IssueStatus.DRAFT


def test_render_unknown_date_is_one_line(
    runner: CliRunner, cli_env: Settings, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["issue", "render", "--date", "2030-01-01", "--out", "x.html"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no issue for 2030-01-01" in result.stderr


def test_lint_prints_warnings_and_strict_fails(
    runner: CliRunner, cli_env: Settings, samples: Path
) -> None:
    _compose(runner, samples)
    result = runner.invoke(app, ["issue", "lint", "--date", DATE])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for line in lines[:2]:
        assert line.startswith("warning: img-format: AVIF image, not shown by Outlook for Windows")
    assert "warning: insecure-link: link over http://: http://www.geekpark.net/news/352648" in lines
    assert lines[-1] == "3 warning(s)"
    strict = runner.invoke(app, ["issue", "lint", "--date", DATE, "--strict"])
    assert strict.exit_code == 2
    assert strict.stderr == "error: 3 lint warning(s) and --strict\n"


def test_lint_clean_issue(runner: CliRunner, cli_env: Settings, samples: Path) -> None:
    _compose(runner, samples, "ai-daily-2026-01-20.md")
    result = runner.invoke(app, ["issue", "lint", "--date", "2026-01-20", "--strict"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "no warnings\n"


def _get(url: str, deadline: float) -> tuple[int, str, bytes]:
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.headers["Content-Type"], response.read()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_preview_serves_the_issue(runner: CliRunner, cli_env: Settings, samples: Path) -> None:
    _compose(runner, samples)
    port = free_port()
    results: list[Result] = []
    args = ["issue", "preview", "--date", DATE, "--port", str(port), "--no-open", "--for", "4"]
    thread = threading.Thread(target=lambda: results.append(runner.invoke(app, args)))
    thread.start()
    try:
        status, content_type, body = _get(f"http://127.0.0.1:{port}/", time.monotonic() + 20)
        assert status == 200
        assert content_type == "text/html; charset=utf-8"
        page = body.decode("utf-8")
        assert page.startswith("<!doctype html>")
        assert "上海交通大学" in page
        assert "__NEWSLETTER_" not in page  # the generic reader's copy
        assert "https://news.example.com/unsubscribe/test-send" in page
        _, text_type, text = _get(f"http://127.0.0.1:{port}/text", time.monotonic() + 5)
        assert text_type == "text/plain; charset=utf-8"
        assert "https://www.jiqizhixin.com/articles/2025-08-13-9" in text.decode("utf-8")
    finally:
        thread.join(30)
    (result,) = results
    assert result.exit_code == 0, result.output
    assert f"Preview of {DATE}: http://127.0.0.1:{port}/" in result.stdout


def test_preview_port_in_use_is_one_line(
    runner: CliRunner, cli_env: Settings, samples: Path
) -> None:
    _compose(runner, samples)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = runner.invoke(app, ["issue", "preview", "--date", DATE, "--port", str(port)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: cannot serve on 127.0.0.1:{port}")


@pytest.mark.parametrize("command", ["render", "lint", "preview"])
def test_commands_are_listed(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, ["issue", command, "--help"])
    assert result.exit_code == 0
    assert "--date" in result.stdout

"""Nothing stale is sent: a draft follows its items, a rendering follows its settings, and an
issue that is out is frozen; on every send path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.editorial.conftest import FIXED, TYPO
from tests.support.mail import outbox_files, part_text, read_outbox
from tests.support.sending import Ses
from tests.support.sqs import make_queues, receive_records

DAY = "2025-08-14"


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def _html(folder: Path) -> list[str]:
    return [part_text(m, "html") for m in read_outbox(folder)]


@pytest.mark.parametrize("stage", ["composed", "rendered", "tested"])
def test_a_fix_imported_after_compose_render_or_test_copy_is_what_goes_out(
    runner: CliRunner,
    cli_env: Settings,
    readers: list[str],
    day_files: tuple[Path, Path],
    stage: str,
) -> None:
    original, fixed = day_files
    _ok(runner, "items", "import", str(original))
    _ok(runner, "issue", "compose", "--date", DAY, "--subject", "编辑的标题")
    if stage in ("rendered", "tested"):
        _ok(runner, "issue", "render", "--date", DAY, "--out", str(original.with_suffix(".html")))
    if stage == "tested":
        _ok(runner, "send", "test", "--date", DAY, "--to", "editor@example.com")
        assert any(TYPO in h and FIXED not in h for h in _html(cli_env.file_outbox))
    imported = _ok(runner, "items", "import", str(fixed))
    assert f"the draft issue of {DAY} now shows the new items" in imported
    assert "subject" in imported  # the editor's subject is one of the choices kept
    shown = json.loads(_ok(runner, "issue", "show", "--date", DAY, "--json"))
    assert shown["subject"] == "编辑的标题"  # the custom subject survived the recompose
    assert any(FIXED in row["label"] for row in shown["outline"])
    assert shown["status"] == "draft"

    for old in outbox_files(cli_env.file_outbox):  # the test copy of the old text
        old.unlink()
    _ok(runner, "send", "test", "--date", DAY, "--to", "editor@example.com")
    report = json.loads(_ok(runner, "send", "issue", "--date", DAY, "--json"))
    assert report["sent"] == len(readers)
    sent = read_outbox(cli_env.file_outbox)
    assert len(sent) == len(readers) + 1
    for message in sent:
        html = part_text(message, "html")
        assert FIXED in html
        assert "编辑的标题" in str(message["Subject"])


def test_an_issue_that_is_out_is_frozen(
    runner: CliRunner, cli_env: Settings, readers: list[str], day_files: tuple[Path, Path]
) -> None:
    original, fixed = day_files
    _ok(runner, "items", "import", str(original))
    _ok(runner, "issue", "compose", "--date", DAY)
    _ok(runner, "send", "issue", "--date", DAY, "--json")
    before = json.loads(_ok(runner, "issue", "show", "--date", DAY, "--json"))
    imported = _ok(runner, "items", "import", str(fixed))
    assert f"the issue of {DAY} is sent: it is frozen" in imported
    after = json.loads(_ok(runner, "issue", "show", "--date", DAY, "--json"))
    assert after["sections"] == before["sections"]
    assert not any(FIXED in row["label"] for row in after["outline"])
    edit = runner.invoke(app, ["issue", "edit", "--date", DAY, "--subject", "x"])
    assert edit.exit_code == 2
    assert "frozen" in edit.stderr


def test_daily_sends_the_fix(
    runner: CliRunner, cli_env: Settings, readers: list[str], day_files: tuple[Path, Path]
) -> None:
    original, fixed = day_files
    _ok(runner, "items", "import", str(original))
    _ok(runner, "issue", "compose", "--date", DAY)
    _ok(runner, "issue", "render", "--date", DAY, "--out", str(original.with_suffix(".html")))
    result = json.loads(_ok(runner, "daily", "--source", str(fixed), "--json"))
    assert result["send"]["sent"] == len(readers)
    assert all(FIXED in h for h in _html(cli_env.file_outbox))


NEW_ADDRESS = "Newsletter Ltd, 1 New Street, Edinburgh"
NEW_NAME = "AI Daily Brief"
NEW_BASE = "https://letters.example.org"


def _change_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLETTER_POSTAL_ADDRESS", NEW_ADDRESS)
    monkeypatch.setenv("NEWSLETTER_NEWSLETTER_NAME", NEW_NAME)
    monkeypatch.setenv("NEWSLETTER_SENDER", f"{NEW_NAME} <news@example.com>")
    monkeypatch.setenv("NEWSLETTER_BASE_URL", NEW_BASE)


@pytest.fixture
def rendered_then_changed(
    runner: CliRunner,
    cli_env: Settings,
    readers: list[str],
    day_files: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The day imported, composed and rendered; then the postal address, the name, the
    sender and the base URL changed (the stored rendering bakes in the old ones)."""
    original, _ = day_files
    _ok(runner, "items", "import", str(original))
    _ok(runner, "issue", "compose", "--date", DAY)
    _ok(runner, "issue", "render", "--date", DAY, "--out", str(original.with_suffix(".html")))
    _change_settings(monkeypatch)


def _assert_new_identity(messages: list[str]) -> None:
    assert messages
    for html in messages:
        assert NEW_ADDRESS in html
        assert NEW_NAME in html
        assert f"{NEW_BASE}/archive/default/{DAY}" in html


def test_settings_changed_after_the_render_reach_the_email(
    runner: CliRunner,
    cli_env: Settings,
    readers: list[str],
    rendered_then_changed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown = runner.invoke(app, ["issue", "show", "--date", DAY])
    assert "stale: NEWSLETTER_NEWSLETTER_NAME changed" in shown.stdout
    assert "NEWSLETTER_POSTAL_ADDRESS changed" in shown.stdout
    status = json.loads(_ok(runner, "send", "status", "--date", DAY, "--json"))
    assert "NEWSLETTER_BASE_URL changed" in status["stale"]

    refused = runner.invoke(app, ["send", "issue", "--date", DAY, "--no-rerender"])
    assert refused.exit_code == 2
    assert f"the rendering of {DAY} is stale" in refused.stderr
    assert read_outbox(cli_env.file_outbox) == []

    report = json.loads(_ok(runner, "send", "issue", "--date", DAY, "--json"))
    assert "NEWSLETTER_POSTAL_ADDRESS changed" in report["rerendered"]
    _assert_new_identity(_html(cli_env.file_outbox))


def test_daily_renders_a_stale_rendering_again(
    runner: CliRunner,
    cli_env: Settings,
    readers: list[str],
    rendered_then_changed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = json.loads(_ok(runner, "daily", "--date", DAY, "--json"))
    assert "NEWSLETTER_POSTAL_ADDRESS changed" in result["rerendered"]
    _assert_new_identity(_html(cli_env.file_outbox))


def test_workers_and_retry_send_the_fresh_rendering(
    runner: CliRunner,
    cli_env: Settings,
    engine: Engine,
    readers: list[str],
    rendered_then_changed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two worker processes on PostgreSQL (SQLite runs one): each sends the fresh rendering.
    report = json.loads(_ok(runner, "send", "issue", "--date", DAY, "--workers", "2", "--json"))
    assert report["rerendered"]
    _assert_new_identity(_html(cli_env.file_outbox))
    # A retry after the send uses the same (fresh) stored rendering.
    retry = runner.invoke(app, ["send", "retry", "--date", DAY, "--json"])
    assert retry.exit_code == 0, retry.output
    assert json.loads(retry.stdout)["rerendered"] == ""


def test_the_sqs_worker_sends_the_fresh_rendering(
    runner: CliRunner,
    cli_env: Settings,
    ses: Ses,
    readers: list[str],
    rendered_then_changed: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from newsletter.aws import handlers as aws_handlers

    sqs, queue, dlq = make_queues(ses.endpoint)
    for key, value in {
        "NEWSLETTER_SEND_QUEUE_URL": queue,
        "NEWSLETTER_SEND_DEAD_LETTER_QUEUE_URL": dlq,
        "NEWSLETTER_SQS_ENDPOINT_URL": ses.endpoint,
    }.items():
        monkeypatch.setenv(key, value)
    planned = aws_handlers.daily({"date": DAY}, None)
    (result,) = planned["editions"]
    assert "NEWSLETTER_POSTAL_ADDRESS changed" in result["rerendered"]
    assert read_outbox(cli_env.file_outbox) == []  # the planner sends nothing itself
    records = receive_records(sqs, queue, want=result["send"]["slices"])
    assert aws_handlers.send_worker({"Records": records}, None) == {"batchItemFailures": []}
    _assert_new_identity(_html(cli_env.file_outbox))
    assert len(read_outbox(cli_env.file_outbox)) == len(readers)

"""`newsletter send ...` through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.models import DeliveryState, IssueStatus
from newsletter.settings import Settings
from tests.support.mail import parse
from tests.support.sending import Ses, World

DATE = ["--date", "2025-08-14"]


def test_send_status_and_refusal(runner: CliRunner, cli_env: Settings, world: World) -> None:
    world.add(4)
    dry = runner.invoke(app, ["send", "issue", *DATE, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing sent" in dry.stdout
    assert "would send: 4 messages" in dry.stdout
    assert world.deliveries() == {}

    sent = runner.invoke(app, ["send", "issue", *DATE, "--rate", "0"])
    assert sent.exit_code == 0, sent.output
    assert "send finished" in sent.stdout
    assert "sent 4, failed 0" in sent.stdout
    assert len(list(cli_env.file_outbox.glob("*.eml"))) == 4

    status = runner.invoke(app, ["send", "status", *DATE, "--json"])
    assert status.exit_code == 0, status.output
    data = json.loads(status.stdout)
    assert data["counts"]["sent"] == 4
    assert data["issue_status"] == "sent"
    assert data["runs"][0]["status"] == "finished"
    human = runner.invoke(app, ["send", "status", *DATE])
    assert "Deliveries" in human.stdout

    again = runner.invoke(app, ["send", "issue", *DATE])
    assert again.exit_code == 2
    assert again.stderr.startswith("error: the issue of 2025-08-14 was already sent")
    assert len(again.stderr.strip().splitlines()) == 1


def test_send_json_report(runner: CliRunner, cli_env: Settings, world: World) -> None:
    world.add(3)
    result = runner.invoke(app, ["send", "issue", *DATE, "--json", "--concurrency", "2"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "finished"
    assert report["sent"] == 3
    assert report["concurrency"] == 2
    assert report["rate"]["effective"] == 14.0
    assert report["ledger"]["sent"] == 3
    assert report["uncertain"] == 0
    assert report["achieved_rate"] > 0


def test_retry_sends_deferred_and_failed(
    runner: CliRunner, cli_env: Settings, world: World
) -> None:
    ids = world.add(3)
    runner.invoke(app, ["send", "issue", *DATE, "--rate", "0"])
    world.set_deliveries(ids[:2], state=DeliveryState.DEFERRED, error="attempt 5: 503")
    result = runner.invoke(app, ["send", "retry", *DATE, "--json", "--rate", "0"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["requeued"] == 2
    assert report["sent"] == 2
    assert {r.state for r in world.deliveries().values()} == {DeliveryState.SENT}


def test_retry_of_an_unsent_issue_refuses(
    runner: CliRunner, cli_env: Settings, world: World
) -> None:
    result = runner.invoke(app, ["send", "retry", *DATE])
    assert result.exit_code == 2
    assert "has not been sent" in result.stderr


def test_test_send_goes_to_editors_and_touches_nothing(
    runner: CliRunner, cli_env: Settings, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add(2)
    result = runner.invoke(
        app, ["send", "test", *DATE, "--to", "ed@example.com", "--to", "chief@example.org"]
    )
    assert result.exit_code == 0, result.output
    assert "e***@example.com: sent" in result.stdout
    files = list(cli_env.file_outbox.glob("*.eml"))
    assert len(files) == 2
    messages = [parse(f.read_bytes()) for f in files]
    assert {m["To"].addresses[0].addr_spec for m in messages} == {
        "ed@example.com",
        "chief@example.org",
    }
    for msg in messages:
        assert str(msg["Subject"]).startswith("[TEST] ")
        assert msg["List-Unsubscribe"] == "<https://news.example.com/unsubscribe/test-send>"
    assert world.deliveries() == {}
    assert world.issue_status() is IssueStatus.RENDERED

    # Without --to, the editors from the settings; with none, a clear error.
    none = runner.invoke(app, ["send", "test", *DATE])
    assert none.exit_code == 2
    assert "NEWSLETTER_EDITORS" in none.stderr
    monkeypatch.setenv("NEWSLETTER_EDITORS", '["editor@example.com"]')
    editors = runner.invoke(app, ["send", "test", *DATE, "--json"])
    assert editors.exit_code == 0, editors.output
    assert json.loads(editors.stdout)[0]["to"] == "ed***@example.com"
    bad = runner.invoke(app, ["send", "test", *DATE, "--to", "not-an-address"])
    assert bad.exit_code == 2
    assert "invalid address" in bad.stderr


def test_send_through_local_ses(
    runner: CliRunner,
    cli_env: Settings,
    world: World,
    ses: Ses,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = world.add(5)
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "ses")
    monkeypatch.setenv("NEWSLETTER_SES_ENDPOINT_URL", ses.endpoint)
    result = runner.invoke(app, ["send", "issue", *DATE, "--rate", "50"])
    assert result.exit_code == 0, result.output
    assert "placeholder quota of a local endpoint ignored" in result.stdout
    assert "rate: 50/s" in result.stdout
    assert sorted(ses.recipients()) == sorted(world.emails[i] for i in ids)


def test_account_stop_exits_2_with_the_reason(
    runner: CliRunner, cli_env: Settings, world: World, ses: Ses, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add(3)
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "ses")
    monkeypatch.setenv("NEWSLETTER_SES_ENDPOINT_URL", ses.endpoint)
    monkeypatch.setenv("NEWSLETTER_SENDER", "Intruder <intruder@example.com>")
    result = runner.invoke(app, ["send", "issue", *DATE, "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["status"] == "stopped"
    assert report["stop_kind"] == "account"
    assert "intruder@example.com" in result.stderr
    assert {r.state for r in world.deliveries().values()} == {DeliveryState.QUEUED}
    assert world.issue_status() is IssueStatus.SENDING

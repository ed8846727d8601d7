"""`newsletter lists ...` and `newsletter subscribers ...` through the CLI, on both databases."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from newsletter import db
from newsletter.audience import confirm_subscription
from newsletter.cli import app
from newsletter.models import Subscriber, SubscriberStatus
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from tests.support.mail import part_text, read_outbox

MESSY = (
    "\ufeffemail;name;language;team\n"
    "reader1@example.com;Reader One;zh-CN;research\n"
    "READER1@example.com;Dup;;\n"
    '"reader2@example.com";"Doe, Jane";en;\n'
    "broken;Bad;;\n"
    "user@bücher.example.com;IDN;de;\n"
)


def _run(runner: CliRunner, *args: str, input: str | None = None) -> Any:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, result.output
    return result


def _json(runner: CliRunner, *args: str) -> Any:
    return json.loads(_run(runner, *args, "--json").stdout)


def test_lists_create_and_list(runner: CliRunner, cli_env: Settings) -> None:
    created = _run(runner, "lists", "create", "weekly", "--description", "Weekly recap")
    assert created.stdout == "created list 'weekly'\n"
    again = runner.invoke(app, ["lists", "create", "weekly"])
    assert again.exit_code == 2
    assert again.stderr == "error: a list named 'weekly' exists already\n"
    _run(runner, "subscribers", "add", "reader@example.com", "--confirmed")  # makes "daily"
    lists = _json(runner, "lists", "list")
    assert [(x["name"], x["active"], x["pending"], x["mailable"]) for x in lists] == [
        ("daily", 1, 0, 1),
        ("weekly", 0, 0, 0),
    ]
    assert lists[1]["description"] == "Weekly recap"
    table = _run(runner, "lists", "list").stdout
    assert "daily" in table
    assert "weekly" in table


def _confirm_links(outbox: Path) -> list[str]:
    """The confirm tokens in the emails of the file transport's outbox."""
    tokens = []
    for message in read_outbox(outbox):
        tokens += re.findall(r"https://news\.example\.com/confirm/([\w.-]+)", part_text(message))
    return tokens


def test_add_pending_sends_a_working_confirmation_email(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    pending = _run(runner, "subscribers", "add", " Reader@Example.COM ", "--name", "读者")
    assert pending.stdout.splitlines() == [
        "Reader@example.com: pending on daily until the person confirms",
        "confirmation email sent (file)",
    ]
    tokens = _confirm_links(cli_env.file_outbox)
    assert len(tokens) == 1
    link = read_token(cli_env, tokens[0], purpose=TokenPurpose.CONFIRM)
    with db.transaction(engine) as session:
        assert confirm_subscription(session, subscriber_id=link.subscriber_id, list_id=link.list_id)
    shown = _json(runner, "subscribers", "show", "reader@example.com")
    assert [(s["list"], s["status"]) for s in shown["subscriptions"]] == [("daily", "active")]
    already = _run(runner, "subscribers", "add", "READER@example.com", "--list", "daily")
    assert already.stdout == "Reader@example.com: already on daily (active), nothing changed\n"
    assert len(_confirm_links(cli_env.file_outbox)) == 1  # no email for a no-op


def test_add_confirmed_or_without_email_sends_nothing(runner: CliRunner, cli_env: Settings) -> None:
    added = _json(runner, "subscribers", "add", "reader@example.com", "--confirmed")
    assert added == {
        "outcome": "added",
        "email": "reader@example.com",
        "list": "daily",
        "status": "active",
        "subscriber_status": "ok",
    }
    quiet = _run(runner, "subscribers", "add", "other@example.com", "--no-email")
    assert quiet.stdout == "other@example.com: pending on daily until the person confirms\n"
    assert not list(cli_env.file_outbox.glob("*.eml"))


def test_add_without_a_sender_stays_pending_and_says_why(
    runner: CliRunner, cli_env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSLETTER_SENDER")
    result = runner.invoke(app, ["subscribers", "add", "reader@example.com"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "reader@example.com: pending on daily until the person confirms\n"
    assert result.stderr.startswith(
        "warning: no confirmation email sent: NEWSLETTER_SENDER is not set"
    )
    listed = _json(runner, "subscribers", "list")
    assert [p["lists"] for p in listed] == [{"daily": "pending"}]


def test_add_refuses_bad_input_and_suppressed_addresses(
    runner: CliRunner, cli_env: Settings
) -> None:
    bad = runner.invoke(app, ["subscribers", "add", "a@example.com, b@example.com"])
    assert bad.exit_code == 2
    assert bad.stderr == "error: two addresses in one field\n"
    _run(runner, "subscribers", "add", "left@example.com", "--confirmed")
    _run(runner, "subscribers", "unsubscribe", "left@example.com")
    # A refusal is not a success: exit 2 and the true reason.
    refused = runner.invoke(app, ["subscribers", "add", "left@example.com", "--confirmed"])
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: this address unsubscribed from daily: only the person can subscribe again "
        "(the sign-up form or their preference page), so it was not added\n"
    )
    as_json = runner.invoke(
        app, ["subscribers", "add", "LEFT@example.com", "--confirmed", "--json"]
    )
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert (data["outcome"], data["status"], data["reason"]) == (
        "suppressed",
        "unsubscribed",
        "unsubscribed",
    )


def test_import_report_text_json_and_dry_run(
    runner: CliRunner, cli_env: Settings, tmp_path: Path, engine: Engine
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    dry = _json(runner, "subscribers", "import", str(path), "--dry-run")
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 0
    assert dry["dry_run"] is True
    report = _run(runner, "subscribers", "import", str(path)).stdout
    assert report.splitlines() == [
        f"{path} -> list 'daily'",
        "  rows read:            5",
        "  subscribed (pending): 3 (3 new people)",
        "  already on the list:  0",
        "  suppressed:           0",
        "  duplicates merged:    1",
        "  invalid:              1",
        "  line 3: duplicate of line 2",
        "  line 5: invalid address: An email address must have an @-sign.",
        "3 new subscriptions are pending: an import sends no confirmation emails (send them "
        "with `newsletter subscribers confirm-pending`)",
    ]
    again = _json(runner, "subscribers", "import", str(path), "--confirmed")
    assert again == dry | {"status": "active", "dry_run": False, "subscribed": 0} | {
        "new_subscribers": 0,
        "activated": 3,
    }
    people = _json(runner, "subscribers", "list", "--status", "active")
    assert [(p["email"], p["name"], p["lists"]) for p in people] == [
        ("reader1@example.com", "Reader One", {"daily": "active"}),
        ("reader2@example.com", "Doe, Jane", {"daily": "active"}),
        ("user@bücher.example.com", "IDN", {"daily": "active"}),
    ]


def test_import_of_a_missing_or_broken_file_fails_cleanly(
    runner: CliRunner, cli_env: Settings, tmp_path: Path
) -> None:
    missing = runner.invoke(app, ["subscribers", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
    assert (
        missing.stderr
        == f"error: {tmp_path / 'nope.csv'}: cannot read: No such file or directory\n"
    )
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"name\nX\n")
    result = runner.invoke(app, ["subscribers", "import", str(broken)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {broken}:1: the header has no 'email' column")


def test_export_to_file_and_stdout(runner: CliRunner, cli_env: Settings, tmp_path: Path) -> None:
    _run(runner, "subscribers", "add", "a@example.com", "--confirmed", "--language", "en")
    _run(runner, "subscribers", "add", "b@example.com", "--list", "weekly")
    target = tmp_path / "out.csv"
    done = _json(runner, "subscribers", "export", str(target), "--status", "active")
    assert done == {"path": str(target), "rows": 1}
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [(r["email"], r["list"], r["language"]) for r in rows] == [
        ("a@example.com", "daily", "en")
    ]
    assert not list(tmp_path.glob(".*.tmp"))
    printed = _run(runner, "subscribers", "export", "-", "--list", "weekly").stdout
    assert [r["email"] for r in csv.DictReader(io.StringIO(printed))] == ["b@example.com"]
    bad = runner.invoke(app, ["subscribers", "export", str(target), "--status", "gone"])
    assert bad.exit_code == 2
    assert bad.stderr.startswith("error: unknown status 'gone'")
    unknown = runner.invoke(app, ["subscribers", "export", "-", "--list", "nope"])
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: no list named 'nope'\n"


def test_show_unsubscribe_erase_stats(runner: CliRunner, cli_env: Settings, engine: Engine) -> None:
    _run(runner, "subscribers", "add", "reader@example.com", "--confirmed", "--name", "R")
    _run(runner, "subscribers", "add", "reader@example.com", "--list", "weekly", "--confirmed")
    left = _run(runner, "subscribers", "unsubscribe", "READER@example.com", "--list", "weekly")
    assert left.stdout == "reader@example.com: unsubscribed from list 'weekly'\n"
    again = _json(runner, "subscribers", "unsubscribe", "reader@example.com", "--list", "weekly")
    assert again == {"email": "reader@example.com", "list": "weekly", "changed": False}

    shown = _json(runner, "subscribers", "show", "Reader@example.com")
    assert (shown["email"], shown["name"], shown["status"]) == ("reader@example.com", "R", "ok")
    assert [(s["list"], s["status"]) for s in shown["subscriptions"]] == [
        ("daily", "active"),
        ("weekly", "unsubscribed"),
    ]
    assert [(e["kind"], e["list"], e["method"]) for e in shown["events"]] == [
        ("subscribed", "daily", "operator"),
        ("confirmed", "daily", "operator"),
        ("subscribed", "weekly", "operator"),
        ("confirmed", "weekly", "operator"),
        ("unsubscribed", "weekly", "operator"),
    ]
    text = _run(runner, "subscribers", "show", "reader@example.com").stdout
    assert "reader@example.com  [ok]  R" in text
    assert "weekly: unsubscribed" in text

    stats = _json(runner, "subscribers", "stats", "--list", "weekly")
    assert stats["subscriptions"] == {"pending": 0, "active": 0, "unsubscribed": 1}
    assert stats["unsubscribes"] == [
        {"issue_id": None, "issue_date": None, "method": "operator", "count": 1}
    ]
    assert _run(runner, "subscribers", "stats").stdout.startswith("list: all lists\n")

    kept = runner.invoke(app, ["subscribers", "erase", "reader@example.com"], input="n\n")
    assert kept.exit_code == 1  # aborted at the prompt: nothing erased
    erased = _json(runner, "subscribers", "erase", "reader@example.com", "--yes")
    assert erased == {"erased": True}
    with db.transaction(engine) as session:
        person = session.scalar(select(Subscriber))
        assert person is not None
        assert person.email is None
        assert person.status is SubscriberStatus.ERASED
    after = _json(runner, "subscribers", "show", "reader@example.com")
    assert (after["email"], after["status"]) == (None, "erased")
    assert _json(runner, "subscribers", "list") == [
        {
            "id": after["id"],
            "email": None,
            "name": "",
            "language": "",
            "status": "erased",
            "created_at": after["created_at"],
            "lists": {"daily": "unsubscribed", "weekly": "unsubscribed"},
        }
    ]
    unknown = runner.invoke(app, ["subscribers", "show", "nobody@example.com"])
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: no subscriber with that address\n"

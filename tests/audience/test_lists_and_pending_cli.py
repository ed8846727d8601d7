"""Operators' commands of issue 24: `lists rename`, `lists remove`, `subscribers
confirm-pending`, a refused `subscribers add`, language tags in a CSV (both databases)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsletter import optin
from newsletter.audience.profile import checked_language
from newsletter.cli import app
from newsletter.db import transaction
from newsletter.editions import EditionChange, add_edition, get_edition
from newsletter.errors import InputError
from newsletter.models import Edition, EventKind, SubscriberEvent
from newsletter.settings import Settings
from tests.support.mail import read_outbox, recipient


def _ok(runner: CliRunner, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _json(runner: CliRunner, *args: str) -> Any:
    return json.loads(_ok(runner, *args, "--json").stdout)


def _events(engine: Engine, kind: EventKind) -> list[SubscriberEvent]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(SubscriberEvent)
                .where(SubscriberEvent.kind == kind)
                .order_by(SubscriberEvent.id)
            )
        )


def test_rename_a_list_and_its_edition_follows(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    _ok(runner, "subscribers", "add", "a@example.com", "--list", "weekly", "--confirmed")
    with transaction(engine) as session:
        get_edition(session)
        add_edition(session, "en", change=EditionChange({"language": "en", "list_name": "weekly"}))
    done = _ok(runner, "lists", "rename", "weekly", "weekly-digest")
    assert done.stdout == "renamed list 'weekly' to 'weekly-digest'\n"
    names = [x["name"] for x in _json(runner, "lists", "list")]
    assert "weekly-digest" in names
    assert "weekly" not in names
    with transaction(engine) as session:
        edition = session.scalar(select(Edition).where(Edition.slug == "en"))
        assert edition is not None
        assert edition.list_name == "weekly-digest"
    [event] = _events(engine, EventKind.LIST_CHANGED)
    assert event.detail == "list renamed from 'weekly' to 'weekly-digest'"
    _ok(runner, "lists", "create", "monthly")
    taken = runner.invoke(app, ["lists", "rename", "weekly-digest", "monthly"])
    assert taken.exit_code == 2
    assert "exists already" in taken.stderr
    _ok(runner, "lists", "create", "daily")
    default = runner.invoke(app, ["lists", "rename", "daily", "other"])
    assert default.exit_code == 2
    assert "NEWSLETTER_DEFAULT_LIST" in default.stderr
    missing = runner.invoke(app, ["lists", "rename", "nope", "other"])
    assert missing.exit_code == 2


def test_remove_a_list_keeps_who_unsubscribed(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    _ok(runner, "subscribers", "add", "stays@example.com", "--list", "old", "--confirmed")
    _ok(runner, "subscribers", "add", "left@example.com", "--list", "old", "--confirmed")
    _ok(runner, "subscribers", "unsubscribe", "left@example.com", "--list", "old")
    refused = runner.invoke(app, ["lists", "remove", "old"])
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: list 'old' has 1 subscriber(s): remove it with --force to unsubscribe them\n"
    )
    done = _ok(runner, "lists", "remove", "old", "--force")
    assert done.stdout == "removed list 'old'; 1 subscriber(s) unsubscribed\n"
    assert "old" not in [x["name"] for x in _json(runner, "lists", "list")]
    history = _json(runner, "subscribers", "show", "left@example.com")
    assert [(e["kind"], e["list"]) for e in history["events"]][-2:] == [
        ("unsubscribed", "old"),
        ("list_changed", "old"),
    ]
    stays = _json(runner, "subscribers", "show", "stays@example.com")["events"]
    assert (stays[-2]["kind"], stays[-2]["method"], stays[-2]["detail"]) == (
        "unsubscribed",
        "operator",
        "list removed",
    )
    # Created again, the list still knows who left: nobody is on it by an operator's add.
    _ok(runner, "lists", "create", "old")
    again = runner.invoke(app, ["subscribers", "add", "left@example.com", "--list", "old"])
    assert again.exit_code == 2
    assert "unsubscribed from old" in again.stderr
    # The lists editions send to cannot be removed.
    default = runner.invoke(app, ["lists", "remove", "daily", "--force"])
    assert default.exit_code == 2


def test_confirm_pending_sends_once_per_person_and_resumes(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(
        "email,language\none@example.com,en\ntwo@example.com,xx-invalid\nthree@example.com,zh-CN\n",
        encoding="utf-8",
    )
    report = _ok(runner, "subscribers", "import", str(people)).stdout
    # A bad language tag is a row warning, stored empty; the row is imported.
    assert "  line 3: warning: language 'xx-invalid' is not a language tag" in report
    two = _json(runner, "subscribers", "show", "two@example.com")
    assert two["language"] == ""
    # Someone who signed up with the form already got the email: not owed.
    with transaction(engine) as session:
        optin.sign_up(session, cli_env, email="form@example.com")
    assert _json(runner, "subscribers", "confirm-pending", "--dry-run")["owed"] == 3
    first = _json(runner, "subscribers", "confirm-pending", "--limit", "2", "--rate", "500")
    assert first == {"sent": 2, "failed": 0, "left": 1}
    second = _json(runner, "subscribers", "confirm-pending", "--rate", "500")
    assert second == {"sent": 1, "failed": 0, "left": 0}
    third = _ok(runner, "subscribers", "confirm-pending", "--rate", "500")
    assert third.stdout == "confirmation emails sent: 0\n"
    sent = Counter(recipient(m) for m in read_outbox(Path(cli_env.file_outbox)))
    assert sent == {"one@example.com": 1, "two@example.com": 1, "three@example.com": 1}
    methods = Counter(e.method for e in _events(engine, EventKind.CONFIRMATION_SENT))
    assert methods == {"confirm-pending": 3, "form": 1}
    unknown = runner.invoke(app, ["subscribers", "confirm-pending", "--list", "nope"])
    assert unknown.exit_code == 2


def test_confirm_pending_is_paced(cli_env: Settings, engine: Engine) -> None:
    with transaction(engine) as session:
        for n in range(3):
            optin.add(session, cli_env, email=f"p{n}@example.com", list_name="daily")
    waits: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        now[0] += seconds

    from newsletter.transport import FileTransport

    outcome = optin.send_pending_confirmations(
        engine,
        cli_env,
        FileTransport(cli_env.file_outbox),
        rate=2.0,
        clock=lambda: now[0],
        sleep=sleep,
    )
    assert outcome.sent == 3
    assert waits == [0.5, 0.5]


def test_add_of_a_suppressed_address_exits_2_with_a_true_sentence(
    runner: CliRunner, cli_env: Settings
) -> None:
    _ok(runner, "subscribers", "add", "gone@example.com", "--confirmed")
    _ok(runner, "subscribers", "erase", "gone@example.com", "--yes")
    result = runner.invoke(app, ["subscribers", "add", "gone@example.com"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: this address was erased on request and is never mailed again: not added to daily\n"
    )
    assert "None" not in result.output


@pytest.mark.parametrize("tag", ["zh", "zh-CN", "zh-Hans-CN", "en", "en-GB", "es-419", "pt_BR"])
def test_language_tags_accepted(tag: str) -> None:
    assert checked_language(f" {tag} ") == tag


@pytest.mark.parametrize("tag", ["xx-invalid", "english", "zh CN", "-en", "e", "zz", "en-GBR1"])
def test_language_tags_refused(tag: str) -> None:
    with pytest.raises(InputError):
        checked_language(tag)

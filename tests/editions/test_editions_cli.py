"""`newsletter editions ...`: add, list, show, update, remove; the default edition from the
settings; one clear line for every bad value."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.editions.conftest import CN_ADD, EN_ADD


def _json(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def test_a_fresh_database_has_the_default_edition_from_the_settings(
    runner: CliRunner, cli_env: Settings
) -> None:
    editions = _json(runner, "editions", "list")
    assert isinstance(editions, list)
    assert [e["slug"] for e in editions] == ["default"]
    default = editions[0]
    assert default["default"] is True
    assert default["name"] is None  # nothing stored: every value is the setting's
    assert default["effective"]["name"] == cli_env.newsletter_name
    assert default["effective"]["list_name"] == cli_env.default_list
    assert default["effective"]["language"] == "zh-CN"
    assert default["effective"]["timezone"] == "UTC"


def test_add_show_update_remove(runner: CliRunner, cli_env: Settings) -> None:
    added = _json(
        runner,
        *EN_ADD,
        "--source",
        "content/en/{date:%Y-%m}/{date}.md",
        "--timezone",
        "America/New_York",
        "--send-at",
        "07:30",
        "--drop-section",
        "^Sponsor",
    )
    assert isinstance(added, dict)
    assert added["effective"]["language"] == "en"
    assert added["effective"]["sender"] == "AI Insights Daily <en@example.com>"
    assert added["effective"]["postal_address"] == cli_env.postal_address  # from the settings
    assert added["drop_sections"] == ["^Sponsor"]

    text = runner.invoke(app, ["editions", "show", "en"])
    assert text.exit_code == 0
    assert "send_at: 07:30" in text.stdout
    assert "postal_address" in text.stdout
    assert "(setting)" in text.stdout

    changed = _json(runner, "editions", "update", "en", "--send-at", "", "--name", "AI Daily")
    assert isinstance(changed, dict)
    assert changed["send_at"] is None
    assert changed["name"] == "AI Daily"

    listing = runner.invoke(app, ["editions", "list"])
    assert listing.exit_code == 0
    assert "default *" in listing.stdout
    assert "en" in listing.stdout

    assert runner.invoke(app, ["editions", "update", "en", "--default"]).exit_code == 0
    slugs = [(e["slug"], e["default"]) for e in _json(runner, "editions", "list")]  # type: ignore[attr-defined]
    assert slugs == [("en", True), ("default", False)]

    refused = runner.invoke(app, ["editions", "remove", "en"])
    assert refused.exit_code == 2
    assert "is the default" in refused.stderr
    assert runner.invoke(app, ["editions", "update", "default", "--default"]).exit_code == 0
    assert runner.invoke(app, ["editions", "remove", "en"]).exit_code == 0
    assert [e["slug"] for e in _json(runner, "editions", "list")] == ["default"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["editions", "add", "EN"], "edition slug 'EN'"),
        (["editions", "add", "x", "--language", "english!"], "--language: not a language tag"),
        (["editions", "add", "x", "--timezone", "Mars/Base"], "--timezone: not a time zone"),
        (["editions", "add", "x", "--send-at", "7am"], "--send-at: a local time HH:MM"),
        (["editions", "add", "x", "--brand-color", "blue"], "--brand-color must be a hex"),
        (["editions", "add", "x", "--sender", "nobody"], "--sender: not an email address"),
        (["editions", "add", "x", "--source", "d/{day}.md"], "does not fill in"),
        (["editions", "add", "x", "--drop-section", "(("], "not a regular expression"),
        (["editions", "show", "nope"], "no edition 'nope' (editions: default)"),
        (["items", "list", "--edition", "nope"], "no edition 'nope'"),
    ],
)
def test_bad_values_are_one_line(
    runner: CliRunner, cli_env: Settings, args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_a_slug_is_taken_once(runner: CliRunner, cli_env: Settings) -> None:
    assert runner.invoke(app, CN_ADD).exit_code == 0
    again = runner.invoke(app, CN_ADD)
    assert again.exit_code == 2
    assert "edition 'cn' exists" in again.stderr


def test_report_list_names_the_editions_of_the_list(runner: CliRunner, cli_env: Settings) -> None:
    assert runner.invoke(app, EN_ADD).exit_code == 0
    assert runner.invoke(app, ["lists", "create", "en-daily"]).exit_code == 0
    assert runner.invoke(app, ["lists", "create", "daily"]).exit_code == 0
    data = _json(runner, "report", "list", "--list", "en-daily")
    assert isinstance(data, dict)
    assert data["editions"] == ["en"]
    text = runner.invoke(app, ["report", "list", "--list", "en-daily"])
    assert "en-daily (edition en)" in text.stdout
    default = _json(runner, "report", "list")
    assert isinstance(default, dict)
    assert default["editions"] == ["default"]

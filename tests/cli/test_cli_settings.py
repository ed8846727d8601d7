"""Settings as people write them, and one clean line for every bad value.

List settings take a JSON list or comma-separated values, mappings a JSON object or
``k=v`` pairs; any malformed value of any setting is one line on stderr naming the variable
and what it expects, exit code 2, no traceback. Database errors print one line too, with
the driver's line breaks and tabs collapsed (never ``\\x0a\\x09``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_origin

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.cli.context import database_error_line
from newsletter.settings import Settings, load_settings
from tests.support.ports import free_port

LIST_FIELDS = [
    name for name, info in Settings.model_fields.items() if get_origin(info.annotation) is list
]
MAP_FIELDS = [
    name for name, info in Settings.model_fields.items() if get_origin(info.annotation) is dict
]


def _wrong_value(name: str) -> str:
    """A value of the right shape for no field of this type (people's typical mistakes)."""
    annotation = Settings.model_fields[name].annotation
    origin = get_origin(annotation)
    if name == "drop_sections":
        return "(unclosed"
    if origin is list:
        return '["unclosed'
    if origin is dict:
        return "team"
    if origin is Literal:
        return "carrier-pigeon"
    if annotation is bool:
        return "maybe"
    if annotation is int:
        return "many"
    if annotation is float or annotation == float | None:
        return "fast"
    assert annotation in (str, Path), (name, annotation)
    if name.endswith("_color"):
        return "blue"
    return "one\x1b[31mtwo"  # a terminal escape: every text setting is one plain line


def test_every_field_is_covered() -> None:
    assert {"editors", "trusted_proxies", "media_allow_hosts", "drop_sections"} <= set(LIST_FIELDS)
    assert {"old_secret_keys", "sns_topic_arns"} <= set(LIST_FIELDS)
    assert MAP_FIELDS == ["ses_message_tags"]
    for name in Settings.model_fields:
        _wrong_value(name)


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_a_bad_value_is_one_line_naming_the_variable(runner: CliRunner, name: str) -> None:
    variable = f"NEWSLETTER_{name.upper()}"
    result = runner.invoke(app, ["lists", "list"], env={variable: _wrong_value(name)})
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    line = result.stderr.strip()
    assert line.startswith(f"error: {variable}"), line
    assert len(line) > len(f"error: {variable}: ") + 15  # says what it expects
    assert "Traceback" not in line
    assert "\x1b" not in line
    assert "validation error" not in line  # not pydantic's multi-line report


@pytest.mark.parametrize("name", LIST_FIELDS)
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("a.example,b.example", ["a.example", "b.example"]),
        (" a.example , b.example ,", ["a.example", "b.example"]),
        ('["a.example", "b.example"]', ["a.example", "b.example"]),
        ("a.example", ["a.example"]),
        ("", []),
        ("[]", []),
    ],
)
def test_list_settings_take_json_or_commas(
    monkeypatch: pytest.MonkeyPatch, name: str, written: str, expected: list[str]
) -> None:
    monkeypatch.setenv(f"NEWSLETTER_{name.upper()}", written)
    assert getattr(load_settings(), name) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("team=news,env=prod", {"team": "news", "env": "prod"}),
        (" team = news ", {"team": "news"}),
        ('{"team": "news"}', {"team": "news"}),
        ("", {}),
    ],
)
def test_map_settings_take_json_or_pairs(
    monkeypatch: pytest.MonkeyPatch, written: str, expected: dict[str, str]
) -> None:
    monkeypatch.setenv("NEWSLETTER_SES_MESSAGE_TAGS", written)
    assert load_settings().ses_message_tags == expected


def test_the_values_people_write_work_through_the_cli(runner: CliRunner, tmp_path: Path) -> None:
    env = {
        "NEWSLETTER_DATABASE_URL": f"sqlite:///{tmp_path / 'n.db'}",
        "NEWSLETTER_EDITORS": "a@example.com",
        "NEWSLETTER_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2",
        "NEWSLETTER_SES_MESSAGE_TAGS": "team=news",
    }
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output


def test_a_list_item_of_the_wrong_type_names_the_variable(runner: CliRunner) -> None:
    result = runner.invoke(app, ["lists", "list"], env={"NEWSLETTER_EDITORS": "[1]"})
    assert result.exit_code == 2
    assert result.stderr == "error: NEWSLETTER_EDITORS (item 0): Input should be a valid string\n"


def _refused_url() -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"


def test_database_error_line_collapses_the_drivers_layout() -> None:
    # A real driver error: PostgreSQL's "connection refused" spans two lines, the second
    # indented with a tab ("...refused\n\tIs the server running ...").
    engine = create_engine(_refused_url(), connect_args={"connect_timeout": 3})
    with pytest.raises(OperationalError) as caught:
        engine.connect()
    engine.dispose()
    assert "\n" in str(caught.value.orig)
    line = database_error_line(caught.value)
    assert "\n" not in line
    assert "\t" not in line
    assert "\\x" not in line
    assert line.startswith("database error (OperationalError): connection failed")


def test_a_database_error_is_one_line_without_escapes(runner: CliRunner) -> None:
    result = runner.invoke(app, ["items", "list"], env={"NEWSLETTER_DATABASE_URL": _refused_url()})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "\\x0a" not in result.stderr
    assert "\\x09" not in result.stderr
    assert "Connection refused Is the server running" in result.stderr

"""Fuzzing the subscriber, list and import commands: whatever the input, the error output
(stderr: errors and warnings, which end up in logs) never carries an address from it, and
no command ends in a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings

FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
addresses = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,14}", fullmatch=True),
    st.sampled_from(["example.com", "example.org", "sub.example.com"]),
)
# Any text, with the characters that broke things before given a better chance.
hostile = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1b", "\x9b", "\r", "\n", "\t", ",", ";", '"', "=", "＝"]),
    ),
    max_size=40,
)


def _check(result_stderr: str, exception: BaseException | None, address: str) -> None:
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert address.lower() not in result_stderr.lower(), result_stderr
    assert "Traceback" not in result_stderr


def _invoke(runner: CliRunner, args: list[str], address: str) -> str:
    result = runner.invoke(app, args)
    _check(result.stderr, result.exception, address)
    return result.stdout


@FUZZ
@given(address=addresses, name=hostile, language=hostile, garbage=hostile)
def test_add_show_unsubscribe_erase_leak_no_address(
    runner: CliRunner,
    cli_env: Settings,
    address: str,
    name: str,
    language: str,
    garbage: str,
) -> None:
    commands = [
        ["subscribers", "add", address, "--name", name, "--language", language],
        ["subscribers", "add", f"{garbage}{address}", "--name", garbage],
        ["subscribers", "add", f"{address},{address}"],
        ["subscribers", "show", f"{address}{garbage}"],
        ["subscribers", "list", "--list", address, "--status", f"{address}{garbage}"],
        ["subscribers", "unsubscribe", address, "--list", f"{address}"],
        ["lists", "create", f"{garbage}{address}", "--description", f"{address}{garbage}"],
        ["subscribers", "erase", address, "--yes"],
    ]
    for args in commands:
        if any("\x00" in a for a in args):
            continue  # an operating system's arguments never carry NUL
        _invoke(runner, args, address)


@FUZZ
@given(
    rows=st.lists(st.tuples(addresses, hostile, hostile), min_size=1, max_size=6),
    header=st.sampled_from(["email,name,team", "email;name;team", "name,team", "email"]),
    tail=hostile,
)
def test_subscriber_import_leaks_no_address(
    runner: CliRunner,
    cli_env: Settings,
    tmp_path: Path,
    rows: list[tuple[str, str, str]],
    header: str,
    tail: str,
) -> None:
    separator = ";" if ";" in header else ","
    lines = [header]
    for address, name, team in rows:
        lines.append(separator.join([address, name, team]))
        lines.append(separator.join([f"{address}{name}", team]))  # invalid or odd rows
    path = tmp_path / "fuzz.csv"
    path.write_text("\n".join(lines) + tail, encoding="utf-8", errors="surrogatepass")
    for args in ([], ["--confirmed", "--json"]):
        result = runner.invoke(app, ["subscribers", "import", str(path), *args])
        for address, _name, _team in rows:
            _check(result.stderr, result.exception, address)
        if "--json" in args and result.exit_code == 0:
            json.loads(result.stdout)


@FUZZ
@given(address=addresses, text=hostile, kind=st.sampled_from([".md", ".json", ".xml"]))
def test_items_import_leaks_no_address(
    runner: CliRunner, cli_env: Settings, tmp_path: Path, address: str, text: str, kind: str
) -> None:
    bodies = {
        ".md": f"# AI日报 2025-08-14\n\n## {text}\n\n1. [{address}](mailto:{address}) {text}\n",
        ".json": f'{{"date": "2025-08-14", "title": "{address}", "sections": [{{"name": '
        f'"{address}", "items": [{{"title": {json.dumps(text)}, "body": "{address}"}}]}}]}}',
        ".xml": f"<rss><channel><item><title>{address}</title><description>{text}"
        "</description></item></channel></rss>",
    }
    path = tmp_path / f"digest{kind}"
    path.write_text(bodies[kind], encoding="utf-8", errors="surrogatepass")
    for args in (["items", "import", str(path)], ["items", "import", str(path), "--date", address]):
        _invoke(runner, args, address)

"""The editor's desk: subject, preheader, note, dropped and moved parts, notice and sponsor
blocks; numbered by `issue show`, kept across re-imports, frozen once out."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.htmlscan import scan_html
from newsletter.settings import Settings
from tests.editorial.conftest import FIXED
from tests.support.mail import part_text, read_outbox
from tests.support.paths import ARTIFACTS

DAY = "2025-08-14"
GOSSIP = "赵露思"


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"{args}: {result.output}"
    return result.stdout


def _show(runner: CliRunner) -> dict[str, Any]:
    data = json.loads(_ok(runner, "issue", "show", "--date", DAY, "--json"))
    assert isinstance(data, dict)
    return data


def _number(data: dict[str, Any], text: str) -> str:
    (row,) = [r for r in data["outline"] if text in r["label"]]
    return str(row["number"])


def _edit(runner: CliRunner, *args: str) -> dict[str, Any]:
    data = json.loads(_ok(runner, "issue", "edit", "--date", DAY, *args, "--json"))
    assert isinstance(data, dict)
    return data


@pytest.fixture
def drafted(runner: CliRunner, cli_env: Settings, day_files: tuple[Path, Path]) -> Path:
    original, _ = day_files
    _ok(runner, "items", "import", str(original))
    _ok(runner, "issue", "compose", "--date", DAY)
    return original


def test_the_outline_numbers_what_the_edits_refer_to(runner: CliRunner, drafted: Path) -> None:
    data = _show(runner)
    numbers = [r["number"] for r in data["outline"]]
    assert numbers[:3] == ["1", "1.1", "1.2"]
    assert len(numbers) == len(set(numbers))
    text = _ok(runner, "issue", "show", "--date", DAY)
    gossip = _number(data, GOSSIP)
    assert re.search(rf"{re.escape(gossip)}  {GOSSIP}", text)


def test_every_choice_reaches_both_parts_and_survives_a_reimport(
    runner: CliRunner,
    cli_env: Settings,
    readers: list[str],
    drafted: Path,
    day_files: tuple[Path, Path],
) -> None:
    data = _show(runner)
    gossip = _number(data, GOSSIP)
    first_item = data["outline"][1]["number"]
    sections = [r["number"] for r in data["outline"] if r["kind"] == "section"]
    _edit(runner, "--subject", "今日要闻：类脑大模型", "--preheader", "编辑精选的预览文字")
    _edit(runner, "--note", "**编辑按**：今天的重点是[类脑大模型](https://example.org/note)。")
    changed = _edit(runner, "--drop", gossip)
    assert any(GOSSIP in line for line in changed["changes"])
    moved_label = data["outline"][2]["label"]
    _edit(runner, "--move", data["outline"][2]["number"], "--before", first_item)
    _edit(
        runner,
        "--add-block",
        "sponsor",
        "--text",
        "本期由 [Example Cloud](https://example.com/cloud) 赞助播出。",
        "--at",
        sections[1],
    )
    _edit(
        runner,
        "--add-block",
        "notice",
        "--title",
        "休刊通知",
        "--text",
        "下周一休刊一天。",
        "--at",
        "0",
    )

    shown = _show(runner)
    assert shown["subject"] == "今日要闻：类脑大模型"
    assert shown["preheader"] == "编辑精选的预览文字"
    assert [r["dropped"] for r in shown["outline"] if GOSSIP in r["label"]] == [True]
    assert shown["outline"][0]["kind"] == "notice"
    assert shown["outline"][2]["label"] == moved_label  # now the first item of section 1
    assert [r["kind"] for r in shown["outline"]].count("sponsor") == 1

    # The digest imported again (a typo fixed): every choice is still there.
    _, fixed = day_files
    imported = _ok(runner, "items", "import", str(fixed))
    assert "now shows the new items" in imported
    again = _show(runner)
    assert [r["number"] for r in again["outline"]] == [r["number"] for r in shown["outline"]]
    assert again["subject"] == shown["subject"]
    assert any(FIXED in r["label"] for r in again["outline"])
    assert again["lost"] == []

    _ok(runner, "send", "issue", "--date", DAY, "--json")
    for message in read_outbox(cli_env.file_outbox):
        html, text = part_text(message, "html"), part_text(message, "plain")
        page = scan_html(html).text
        assert str(message["Subject"]) == "今日要闻：类脑大模型"
        assert "编辑精选的预览文字" in page
        for part in (page, text):
            assert "编辑按" in part
            assert GOSSIP not in part
            assert "Example Cloud" in part
            assert "赞助" in part  # the sponsor block is labelled
            assert "休刊通知" in part
        assert "https://example.org/note" in html
        assert part_text(message, "plain").index("休刊通知") < text.index(moved_label[:8])


def test_restore_remove_and_what_cannot_be_kept(
    runner: CliRunner, drafted: Path, tmp_path: Path
) -> None:
    data = _show(runner)
    gossip = _number(data, GOSSIP)
    _edit(runner, "--drop", gossip)
    restored = _edit(runner, "--restore", gossip)
    assert not [r for r in restored["outline"] if r["dropped"]]
    block = _edit(runner, "--add-block", "notice", "--text", "通知", "--at", "end")
    assert "added notice block B1" in block["changes"]
    assert not [
        r for r in _edit(runner, "--remove-block", "B1")["outline"] if r["kind"] == "notice"
    ]
    _edit(runner, "--drop", gossip)
    # A new version of the day without that item: the choice cannot be kept, and says so.
    without = tmp_path / "without.md"
    lines = drafted.read_text(encoding="utf-8").splitlines()
    without.write_text("\n".join(line for line in lines if GOSSIP not in line), encoding="utf-8")
    imported = _ok(runner, "items", "import", str(without))
    assert "could not keep dropping" in imported
    assert GOSSIP in imported


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--drop", "99"], "no part '99'"),
        (["--move", "1.1"], "--move needs one of --before or --after"),
        (["--restore", "1.1"], "is not dropped"),
        (["--add-block", "ad", "--text", "x"], "a block is one of notice, sponsor"),
        (["--add-block", "notice"], "the block has no text"),
        (["--subject", "a\nBcc: x"], "the subject must be one line"),
        (["--remove-block", "B7"], "no added block 'B7'"),
    ],
)
def test_bad_edits_are_one_line(
    runner: CliRunner, drafted: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["issue", "edit", "--date", DAY, *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.browser
def test_screenshot_of_an_edited_issue(
    runner: CliRunner, cli_env: Settings, drafted: Path, browser: Browser, tmp_path: Path
) -> None:
    data = _show(runner)
    _edit(runner, "--note", "**编辑按**：今天的重点是类脑大模型。", "--drop", _number(data, GOSSIP))
    _edit(
        runner,
        "--add-block",
        "sponsor",
        "--text",
        "本期由 **Example Cloud** 赞助播出。",
        "--at",
        "1",
    )
    out = tmp_path / "edited.html"
    _ok(runner, "issue", "render", "--date", DAY, "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert "__NEWSLETTER_" not in html
    page = browser.new_page(viewport={"width": 600, "height": 1400})
    try:
        page.route("**/*", lambda route: route.abort())
        page.set_content(html)
        body = page.inner_text("body")
        assert "编辑按" in body
        assert "Example Cloud" in body
        assert GOSSIP not in body
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "issue-edited-note-sponsor.png"), full_page=True)
    finally:
        page.close()

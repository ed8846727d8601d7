"""A site's whole content tree imported at once: each file into the edition its folders
name, the same day of two editions kept apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.editions.conftest import CN_ADD, EDITIONS, EN_ADD


def _tree(root: Path) -> Path:
    content = root / "content"
    for slug in ("cn", "en"):
        for day in ("2025-07-01", "2025-10-15"):
            folder = content / slug / day[:7]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy(EDITIONS / f"{slug}-{day}.md", folder / f"{day}.md")
    return content


def test_each_file_goes_to_the_edition_its_folder_names(
    runner: CliRunner, cli_env: Settings, tmp_path: Path
) -> None:
    assert runner.invoke(app, [*CN_ADD, "--list", "cn-daily"]).exit_code == 0
    assert runner.invoke(app, EN_ADD).exit_code == 0
    result = runner.invoke(app, ["items", "import", str(_tree(tmp_path))])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "4 files: 4 imported, 0 skipped, 0 failed"
    for slug in ("cn", "en"):
        listed = runner.invoke(app, ["items", "list", "--edition", slug, "--json"])
        days = {i["date"] for i in json.loads(listed.stdout)}
        assert days == {"2025-07-01", "2025-10-15"}, slug
    assert "cn 2025-07-01: imported" in result.stdout
    assert "en 2025-10-15: imported" in result.stdout


def test_an_edition_named_takes_every_file_once_a_day(
    runner: CliRunner, cli_env: Settings, tmp_path: Path
) -> None:
    assert runner.invoke(app, EN_ADD).exit_code == 0
    content = _tree(tmp_path)
    result = runner.invoke(app, ["items", "import", str(content / "en"), "--edition", "en"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 files: 2 imported, 0 skipped, 0 failed"
    # Without edition folders a tree's second copy of a day is skipped (one digest a day).
    both = runner.invoke(app, ["items", "import", str(content), "--edition", "en"])
    assert "(one digest a day)" in both.stdout

"""`newsletter items import FOLDER` and `items import FILE FILE ...`: a site's whole content
tree, one line per file, every valid day imported, pages that are no digest skipped, the
bad files named, and the exit code saying whether any failed."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.digest.batch import Tally, read_files
from newsletter.models import DigestRecord
from newsletter.settings import Settings
from tests.support.paths import SAMPLES

REAL = SAMPLES / "real"
PAGES = SAMPLES / "pages"


def _site(root: Path) -> Path:
    """A Hugo site's content tree built from the real samples (as a site lays them out)."""
    content = root / "content"
    layout = {
        "cn/2025-07/2025-07-01.md": REAL / "editions/cn-2025-07-01.md",
        "cn/2025-10/2025-10-15.md": REAL / "editions/cn-2025-10-15.md",
        "cn/2025-12/2025-12-23.md": REAL / "ai-daily-2025-12-23-unclosed-fence.md",
        "en/2025-06/2025-06-14.md": REAL / "en-2025-06-14.md",
        "cn/about.md": PAGES / "about.md",
        "cn/privacy/index.md": PAGES / "privacy.md",
        "en/terms.md": PAGES / "terms.md",
    }
    for name, sample in layout.items():
        (content / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample, content / name)
    (root / "daily").mkdir()
    shutil.copy(REAL / "2026-01-05.md", root / "daily" / "2026-01-05.md")
    (content / ".git").mkdir()
    (content / ".git" / "notes.md").write_text("not read", encoding="utf-8")
    (content / "cn" / "logo.png").write_bytes(b"\x89PNG\r\n")
    return content


def _days(engine: Engine) -> list[dt.date]:
    with db.transaction(engine) as session:
        return sorted(session.scalars(select(DigestRecord.date)))


def test_a_sites_content_tree(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    content = _site(tmp_path)
    result = runner.invoke(app, ["items", "import", str(content), str(tmp_path / "daily")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "8 files: 5 imported, 3 skipped, 0 failed"
    assert len(lines) == 9  # one line a file, and the tally
    assert (
        f"{content}/cn/about.md: not a digest: 'About' is a site page (about), with no day "
        "(skipped)" in lines
    )
    assert any(
        line.startswith(
            f"{content}/cn/2025-12/2025-12-23.md: default 2025-12-23: imported 10 items"
        )
        for line in lines
    )
    assert f"{content}/cn/2025-12/2025-12-23.md:12: unclosed code fence closed" in result.stderr
    assert _days(engine) == [
        dt.date(2025, 6, 14),
        dt.date(2025, 7, 1),
        dt.date(2025, 10, 15),
        dt.date(2025, 12, 23),
        dt.date(2026, 1, 5),
    ]


def test_bad_files_are_named_and_the_exit_code_says_so(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    content = _site(tmp_path)
    (content / "cn" / "2025-11").mkdir()
    nodate = content / "cn" / "2025-11" / "日报.md"
    nodate.write_text("# AI资讯日报\n\n### 产品\n\n1. **一** 条。\n", encoding="utf-8")
    (content / "cn" / "2025-11" / "bad.md").write_bytes(b"# AI\xff\n")
    result = runner.invoke(app, ["items", "import", str(content)])
    assert result.exit_code == 2
    assert result.stdout.splitlines()[-1] == "9 files: 4 imported, 3 skipped, 2 failed"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {content}/cn/2025-11/bad.md:1: not UTF-8 text (byte 0xff); save the file as UTF-8",
        f"error: {nodate}:1: no date in the title, its first headings or the file name: give one "
        "with --date YYYY-MM-DD",
    ]
    # Every valid day was imported all the same.
    assert len(_days(engine)) == 4


def test_several_files_and_a_repeated_day(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    cn, en = REAL / "editions/cn-2025-07-01.md", REAL / "editions/en-2025-07-01.md"
    result = runner.invoke(app, ["items", "import", str(cn), str(en), str(PAGES / "about.md")])
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{cn}: default 2025-07-01: imported 23 items and 2 text blocks in 7 sections (new day)",
        f"{en}: skipped: 2025-07-01 was already read from {cn} (one digest a day)",
        "3 files: 1 imported, 1 skipped, 1 failed",
    ]
    # A page named on the command line is an error, not a silent skip.
    assert f"error: {PAGES / 'about.md'}: not a digest" in result.stderr
    assert _days(engine) == [dt.date(2025, 7, 1)]


def test_date_is_for_one_file(runner: CliRunner, cli_env: Settings, tmp_path: Path) -> None:
    content = _site(tmp_path)
    result = runner.invoke(app, ["items", "import", str(content), "--date", "2025-07-01"])
    assert result.exit_code == 2
    assert "--date gives the day of one file, and there are 7" in result.stderr


def test_strict_refuses_the_files_that_needed_a_repair(tmp_path: Path) -> None:
    content = _site(tmp_path)
    results = list(read_files([content], strict=True))
    tally = Tally()
    for r in results:
        tally.add(r)
    failed = [r for r in results if r.failed]
    assert [r.path.name for r in failed] == ["2025-10-15.md", "2025-12-23.md"]
    assert all(not r.digests for r in failed)
    assert tally.line() == "7 files: 2 imported, 3 skipped, 2 failed"


def test_an_empty_folder(tmp_path: Path) -> None:
    from newsletter.errors import InputError

    with pytest.raises(InputError, match="no digest files"):
        list(read_files([tmp_path]))

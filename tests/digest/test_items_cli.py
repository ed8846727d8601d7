"""`newsletter items ...` and `newsletter issue ...` through the CLI, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.items import find_digest
from newsletter.models import Issue, Item
from newsletter.settings import Settings

SAMPLE = "ai-daily-2025-08-14.md"


def _count(engine: Engine) -> int:
    with db.transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(Item)) or 0


def test_import_list_compose_show(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine
) -> None:
    result = runner.invoke(app, ["items", "import", str(samples / SAMPLE)])
    assert result.exit_code == 0, result.output
    assert (
        "2025-08-14: imported 13 items and 0 text blocks in 4 sections (new day)" in result.output
    )
    assert result.stderr == ""

    listed = runner.invoke(app, ["items", "list", "--date", "2025-08-14", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.output)
    assert [(i["section"], i["position"]) for i in items][:4] == [
        ("AI前沿研究", 1),
        ("AI前沿研究", 2),
        ("AI前沿研究", 3),
        ("开源TOP项目", 1),
    ]
    assert len(items) == 13
    assert sum(len(i["links"]) for i in items) == 16
    assert sum(len(i["images"]) for i in items) == 9

    composed = runner.invoke(app, ["issue", "compose", "--date", "2025-08-14"])
    assert composed.exit_code == 0, composed.output
    shown = runner.invoke(app, ["issue", "show", "--date", "2025-08-14", "--json"])
    issue = json.loads(shown.output)
    assert issue["subject"] == "AI科技日报-2025-08-14 AI模型大逆转！"
    assert issue["status"] == "draft"
    assert len(issue["summary"].splitlines()) == 3
    assert issue["preheader"].startswith("上海交大发布类人脑大模型")
    assert issue["headline"] == "AI模型大逆转！"
    assert issue["tagline"].startswith("🤖 AI科技日报")
    assert [s["heading"] for s in issue["sections"]] == [
        "AI前沿研究",
        "开源TOP项目",
        "社媒分享",
        "其他",
    ]
    flat = [b for s in issue["sections"] for b in s["blocks"] if b["kind"] == "item"]
    assert (
        [i["number"] for i in flat]
        == [i["number"] for i in items]
        == [1, 2, 3, 1, 1, 2, *range(1, 8)]
    )
    assert [i["body"] for i in flat] == [i["body"] for i in items]
    assert [i["links"] for i in flat] == [i["links"] for i in items]
    assert [i["images"] for i in flat] == [i["images"] for i in items]

    listing = runner.invoke(app, ["issue", "list", "--json"])
    assert [i["date"] for i in json.loads(listing.output)] == ["2025-08-14"]
    assert runner.invoke(app, ["issue", "list"]).exit_code == 0
    assert runner.invoke(app, ["items", "list"]).exit_code == 0
    outline = runner.invoke(app, ["issue", "show", "--date", "2025-08-14"]).output
    assert re.search(r"1\.1  上海交通大学", outline)  # numbered as `issue edit` refers to it


def test_reimport_replaces_the_day(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["items", "import", str(samples / SAMPLE)]).exit_code == 0
    smaller = tmp_path / "smaller.md"
    smaller.write_text(
        "# AI科技日报-2025-08-14 更正\n### 唯一一节\n1. **更正**内容。\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["items", "import", str(smaller)])
    assert result.exit_code == 0, result.output
    assert "replaced 13 earlier items" in result.output
    assert _count(engine) == 1
    with db.transaction(engine) as session:
        digest = find_digest(session, dt.date(2025, 8, 14))
        assert digest is not None
        assert digest.title.endswith("更正")


def test_date_option_and_other_days_untouched(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine
) -> None:
    assert runner.invoke(app, ["items", "import", str(samples / SAMPLE)]).exit_code == 0
    result = runner.invoke(
        app, ["items", "import", str(samples / "ai-daily-2026-01-20.md"), "--date", "2026-01-21"]
    )
    assert "2026-01-21: imported 5 items" in result.output
    assert _count(engine) == 18
    feed = runner.invoke(app, ["items", "import", str(samples / "ai-daily-feed.rss.xml")])
    assert feed.exit_code == 0, feed.output
    assert "2026-01-20: imported 2 items and 1 text blocks" in feed.output
    assert "2026-01-19: imported 1 items" in feed.output
    assert _count(engine) == 21


def test_broken_parts_are_warnings_and_the_rest_is_imported(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.md"
    broken.write_text(
        "# AI科技日报-2025-08-14\n### A\n1. ok [x](javascript:alert(1))\n2. two\n### Empty\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["items", "import", str(broken)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {broken}:3: link 'javascript:alert(1)' dropped: not an absolute http(s) URL; "
        "its text kept",
        f"warning: {broken}:5: empty section 'Empty' dropped",
    ]
    assert "2025-08-14: imported 2 items" in result.stdout
    assert _count(engine) == 2


def test_strict_refuses_a_file_with_warnings_and_writes_nothing(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine
) -> None:
    assert runner.invoke(app, ["items", "import", str(samples / SAMPLE)]).exit_code == 0
    broken = samples / "layouts" / "broken-parts.md"
    result = runner.invoke(app, ["items", "import", "--strict", str(broken)])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 11
    assert all(line.startswith(f"warning: {broken}:") for line in lines[:10])
    assert lines[10] == f"error: {broken}: 10 warnings and --strict: nothing imported"
    assert _count(engine) == 13  # the earlier import is intact
    ok = runner.invoke(app, ["items", "import", "--strict", str(samples / SAMPLE)])
    assert ok.exit_code == 0, ok.output


def test_not_a_digest_is_refused_whole(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    good = "<h3>S</h3><ol><li>fine</li></ol>"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        f"<item><title>日报 2026-01-02</title><description><![CDATA[{good}]]></description></item>"
        "<item><title>日报</title><description><![CDATA[<p>x</p>]]></description></item>"
        "</channel></rss>",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["items", "import", str(feed)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {feed}: entry 2 (日报): no date in the entry: give one with --date YYYY-MM-DD"
    )
    assert _count(engine) == 0
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 2000 + "]" * 2000, encoding="utf-8")
    nested = runner.invoke(app, ["items", "import", str(deep)])
    assert nested.exit_code == 2
    assert nested.stderr.strip() == f"error: {deep}: JSON nested too deeply to be a digest"


def test_drop_sections_setting(
    runner: CliRunner,
    cli_env: Settings,
    samples: Path,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEWSLETTER_DROP_SECTIONS", '["账号极速发货", "^📂"]')
    real = samples / "real" / "ai-daily-2025-12-23.md"
    result = runner.invoke(app, ["items", "import", str(real)])
    assert result.exit_code == 0, result.output
    assert "dropped section '📂 分类速览' (NEWSLETTER_DROP_SECTIONS)" in result.stderr
    with db.transaction(engine) as session:
        record = find_digest(session, dt.date(2025, 12, 23))
        assert record is not None
        headings = [s["heading"] for s in record.sections]
    assert "📂 分类速览" not in headings
    assert "[研究]" not in headings
    assert not any("Aivora" in h for h in headings)
    assert "🧾 全量索引" in headings
    monkeypatch.setenv("NEWSLETTER_DROP_SECTIONS", '["(unclosed"]')
    bad = runner.invoke(app, ["items", "import", str(real)])
    assert bad.exit_code == 2
    assert "NEWSLETTER_DROP_SECTIONS" in bad.stderr
    assert "not a regular expression" in bad.stderr


def test_compose_needs_items_and_subject_is_one_line(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine
) -> None:
    missing = runner.invoke(app, ["issue", "compose", "--date", "2025-08-14"])
    assert missing.exit_code == 2
    assert "no items for 2025-08-14" in missing.stderr
    assert runner.invoke(app, ["items", "import", str(samples / SAMPLE)]).exit_code == 0
    bad = runner.invoke(app, ["issue", "compose", "--date", "2025-08-14", "--subject", "a\nBcc: x"])
    assert bad.exit_code == 2
    assert "one line" in bad.stderr
    ok = runner.invoke(app, ["issue", "compose", "--date", "2025-08-14", "--subject", "自定义标题"])
    assert ok.exit_code == 0
    with db.transaction(engine) as session:
        assert session.scalars(select(Issue.subject)).all() == ["自定义标题"]
    assert runner.invoke(app, ["issue", "show", "--date", "2024-01-01"]).exit_code == 2


def test_missing_schema_is_explained(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["items", "list"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: the database has no schema: run `newsletter db upgrade`"
    up = runner.invoke(app, ["db", "upgrade"])
    assert up.exit_code == 0
    assert "upgraded from empty" in up.output
    assert runner.invoke(app, ["items", "list", "--json"]).output.strip() == "[]"
    assert "already at" in runner.invoke(app, ["db", "upgrade"]).output


def test_a_19_mb_digest_is_refused_before_it_is_read(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    big = tmp_path / "big.md"
    with big.open("wb") as out:
        out.write("# AI日报 2025-08-14\n### S\n".encode())
        out.write(("1. 条目。\n" * 1000).encode() * 1532)  # 19.0 MB
    result = runner.invoke(app, ["items", "import", str(big)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {big}: file too large: 19.0 MB, the limit is 1 MB"
    assert _count(engine) == 0

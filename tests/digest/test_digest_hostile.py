"""Hostile digests: imported with warnings, inert in the email and in the archive, and the
subject without markup residue; control characters (NUL too) never reach the database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy import Engine, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.compose import compose_issue
from newsletter.digest import parse_source
from newsletter.items import find_digest
from newsletter.models import Issue, IssueStatus
from newsletter.render import render_and_store
from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.inert import assert_no_active_content

HOSTILE = """# AI日报 2025-08-20 <script>alert("x")</script>今日要闻

### 新闻

1. **好新闻。** [原文](https://example.org/good) [点我](javascript:alert(1)) \
<img src="https://example.org/p.png" onerror="alert(2)">
2. <b onmouseover="alert(3)">悬停</b> 与 [数据](data:text/html,<script>alert(4)</script>)

<iframe src="https://evil.example/"></iframe>
"""


def _assert_inert(html: str) -> None:
    assert_no_active_content(html)
    assert "alert(" not in html
    assert "evil.example" not in html


def test_hostile_digest_is_imported_with_warnings_and_comes_out_inert(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "hostile.md"
    path.write_text(HOSTILE, encoding="utf-8")
    result = runner.invoke(app, ["items", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        f"warning: {path}:1: <script> element dropped with its content",
        f"warning: {path}:5: link 'javascript:alert(1)' dropped: not an absolute http(s) URL; "
        "its text kept",
        f"warning: {path}:5: onerror attribute dropped",
        f"warning: {path}:6: raw HTML tag <b> dropped, its text kept",
        f"warning: {path}:6: link 'data:text/html,%3Cscript%3Ealert(4)%3C/script%3E' dropped: "
        "not an absolute http(s) URL; its text kept",
        f"warning: {path}:8: raw HTML dropped",
    ]
    with db.transaction(engine) as session:
        issue = compose_issue(session, date=dt.date(2025, 8, 20))
        rendered = render_and_store(session, issue, cli_env)
        issue.status = IssueStatus.SENT
        issue.sent_at = dt.datetime.now(dt.UTC)
    assert rendered.subject == "AI日报 2025-08-20 今日要闻"
    _assert_inert(rendered.html)
    assert "alert(" not in rendered.text
    assert "点我" in rendered.text
    assert "悬停" in rendered.text
    web = create_app(cli_env, engine=engine)
    with TestClient(web, base_url="https://news.example.com") as client:
        page = client.get("/archive/2025-08-20")
        assert page.status_code == 200
        _assert_inert(page.text)
        feed = client.get("/archive/feed.xml")
        assert "alert(" not in feed.text


def test_script_in_a_json_title_leaves_no_residue(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    doc = {
        "date": "2025-08-21",
        "title": '<script>alert("x")</script>AI 日报 <b>8 月 21 日</b>',
        "sections": [{"heading": "S", "blocks": [{"title": "t", "body": "b"}]}],
    }
    path = tmp_path / "title.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["items", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == f"warning: {path}: title: markup removed from the text"
    assert runner.invoke(app, ["issue", "compose", "--date", "2025-08-21"]).exit_code == 0
    with db.transaction(engine) as session:
        assert session.scalars(select(Issue.subject)).all() == ["AI 日报 8 月 21 日"]


def test_control_characters_and_nul_are_stripped_on_both_databases(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    doc = {
        "date": "2025-08-22",
        "title": "AI\u0000 日报\u001b]52;c;aGk=\u0007 2025-08-22",
        "tagline": "tag\u009bline",
        "summary": "一句\u0000话。\n第二句。",
        "sections": [
            {
                "heading": "S\u0000",
                "blocks": [
                    {
                        "title": "t\u0000itle",
                        "body": "bo\u0000dy\u0008 text",
                        "links": [{"text": "l\u0000", "url": "https://example.org/a"}],
                    },
                    {"kind": "text", "markdown": "prose\u0000 \u0085here"},
                ],
            }
        ],
    }
    path = tmp_path / "nul.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(app, ["items", "import", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    assert runner.invoke(app, ["issue", "compose", "--date", "2025-08-22"]).exit_code == 0
    with db.transaction(engine) as session:
        record = find_digest(session, dt.date(2025, 8, 22))
        assert record is not None
        issue = session.scalars(select(Issue)).one()
        stored = json.dumps(
            [record.title, record.tagline, record.summary, record.sections, issue.subject],
            ensure_ascii=False,
        )
        assert record.title == "AI 日报]52;c;aGk= 2025-08-22"
        assert record.summary == "一句话。\n第二句。"
        assert record.sections[0]["blocks"][0]["body"] == "body text"
    for code in [*range(0, 9), *range(11, 32), *range(0x7F, 0xA0)]:
        assert f"\\u{code:04x}" not in stored
        assert chr(code) not in stored


def test_terminal_escapes_in_a_markdown_heading_with_markup_are_stripped() -> None:
    # Found by the fuzz test: lxml refuses control characters in the text it is given.
    text = "# AI日报 2025-08-14\n\n## <b>x</b>\x1b]52;c;aGk=\x07 escape\n\n1. **条目**正文。\n"
    parsed = parse_source(text.encode(), source="t.md", suffix=".md")
    [digest] = parsed.digests
    assert [s.heading for s in digest.sections] == ["x]52;c;aGk= escape"]

"""Issue composition: snapshots, recomposition rules, preheader."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsletter import db
from newsletter.compose import compose_issue, get_issue, make_preheader
from newsletter.digest import load_digests
from newsletter.errors import StateError
from newsletter.items import store_digest
from newsletter.models import IssueStatus

DAY = dt.date(2025, 8, 14)


def _import(engine: Engine, path: Path) -> None:
    with db.transaction(engine) as session:
        for digest in load_digests(path):
            store_digest(session, digest, source=str(path))


def test_a_draft_follows_its_items_and_a_sent_issue_is_frozen(
    engine: Engine, samples: Path, tmp_path: Path
) -> None:
    _import(engine, samples / "ai-daily-2025-08-14.md")
    with db.transaction(engine) as session:
        compose_issue(session, date=DAY)
    other = tmp_path / "other.md"
    other.write_text("# 日报 2025-08-14\n### X\n1. 新内容。\n", encoding="utf-8")
    _import(engine, other)
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        assert [s["heading"] for s in issue.sections] == ["X"]  # the draft shows the new items
        issue.status = IssueStatus.SENT
    _import(engine, samples / "ai-daily-2025-08-14.md")
    with db.transaction(engine) as session:
        assert [s["heading"] for s in get_issue(session, DAY).sections] == ["X"]  # frozen


def test_sent_issue_is_never_recomposed(engine: Engine, samples: Path) -> None:
    _import(engine, samples / "ai-daily-2025-08-14.md")
    with db.transaction(engine) as session:
        issue = compose_issue(session, date=DAY)
        issue.status = IssueStatus.SENT
    with db.transaction(engine) as session, pytest.raises(StateError, match="is sent"):
        compose_issue(session, date=DAY)


def test_recompose_drops_an_old_rendering(engine: Engine, samples: Path) -> None:
    _import(engine, samples / "ai-daily-2025-08-14.md")
    with db.transaction(engine) as session:
        issue = compose_issue(session, date=DAY)
        issue.rendered_html = "<html></html>"
        issue.status = IssueStatus.RENDERED
    with db.transaction(engine) as session:
        issue = compose_issue(session, date=DAY, subject="新标题")
        assert issue.rendered_html is None
        assert issue.status is IssueStatus.DRAFT
        assert issue.subject == "新标题"


def test_preheader_is_cut_at_a_sentence() -> None:
    long = "\n".join(["这是一句很长的摘要内容，用来测试预览文字的长度限制。"] * 6)
    pre = make_preheader(long)
    assert len(pre) <= 110
    assert pre.endswith("。")
    assert make_preheader("Short one.\nTwo.") == "Short one. Two."

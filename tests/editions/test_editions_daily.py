"""`daily` over editions: each edition on its own local date in its own time zone, when its
send time has come; one edition's failure does not stop the others."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.daily import run_due
from newsletter.editions import EditionChange, add_edition, local_date
from newsletter.models import Delivery, Issue
from newsletter.settings import Settings
from newsletter.transport.memory import MemoryTransport
from tests.editions.conftest import CN_READERS, EDITIONS, EN_READERS

#: 07:30 in Shanghai on 1 July, 16:30 in Los Angeles on 30 June.
NOW = dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC)


def _site(root: Path, *, cn_day: dt.date, en_day: dt.date) -> Path:
    """A site's content tree, as the generator publishes it: one file per edition and day."""
    for edition, day, sample in (
        ("cn", cn_day, EDITIONS / "cn-2025-07-01.md"),
        ("en", en_day, EDITIONS / "en-2025-07-01.md"),
    ):
        folder = root / "content" / edition / f"{day:%Y-%m}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample, folder / f"{day.isoformat()}.md")
    return root / "content"


def _add_editions(engine: Engine, content: Path, **en_extra: str) -> None:
    with db.transaction(engine) as session:
        add_edition(
            session,
            "cn",
            change=EditionChange(
                {
                    "language": "zh-CN",
                    "list_name": "cn-daily",
                    "timezone": "Asia/Shanghai",
                    "send_at": "07:00",
                    "source": f"{content}/cn/{{date:%Y-%m}}/{{date}}.md",
                }
            ),
        )
        add_edition(
            session,
            "en",
            change=EditionChange(
                {
                    "language": "en",
                    "list_name": "en-daily",
                    "timezone": "America/Los_Angeles",
                    "send_at": "16:00",
                    "source": f"{content}/en/{{date:%Y-%m}}/{{date}}.md",
                    **en_extra,
                }
            ),
        )


def _sent(engine: Engine) -> dict[str, tuple[str, int]]:
    with db.transaction(engine) as session:
        rows = session.execute(select(Issue)).scalars().all()
        out = {}
        for issue in rows:
            count = len(
                session.scalars(select(Delivery).where(Delivery.issue_id == issue.id)).all()
            )
            out[issue.edition.slug] = (issue.date.isoformat(), count)
        return out


def test_each_edition_on_its_own_local_date(
    engine: Engine, settings: Settings, readers: None, tmp_path: Path
) -> None:
    content = _site(tmp_path, cn_day=dt.date(2025, 7, 1), en_day=dt.date(2025, 6, 30))
    _add_editions(engine, content)
    transport = MemoryTransport()

    early = run_due(settings, engine=engine, transport=transport, now=NOW - dt.timedelta(hours=1))
    assert [(r.edition, r.not_due) for r in early.results] == [
        ("cn", "sends at 07:00 Asia/Shanghai"),
        ("en", "sends at 16:00 America/Los_Angeles"),
    ]
    assert early.ok
    assert transport.sent == []

    due = run_due(settings, engine=engine, transport=transport, now=NOW)
    assert due.ok, due.as_dict()
    assert [(r.edition, r.date.isoformat()) for r in due.results] == [
        ("cn", "2025-07-01"),
        ("en", "2025-06-30"),
    ]
    assert _sent(engine) == {
        "cn": ("2025-07-01", len(CN_READERS)),
        "en": ("2025-06-30", len(EN_READERS)),
    }
    by_sender = sorted((m.recipients[0], m.sender) for m in transport.sent)
    assert [r for r, _ in by_sender] == sorted(CN_READERS + EN_READERS)

    again = run_due(settings, engine=engine, transport=transport, now=NOW + dt.timedelta(hours=1))
    assert [r.already_sent for r in again.results] == [True, True]
    assert len(transport.sent) == len(CN_READERS + EN_READERS)


def test_one_edition_failing_does_not_stop_the_other(
    engine: Engine, settings: Settings, readers: None, tmp_path: Path
) -> None:
    content = _site(tmp_path, cn_day=dt.date(2025, 7, 1), en_day=dt.date(2025, 6, 30))
    _add_editions(engine, content, source=str(tmp_path / "missing" / "{date}.md"))
    transport = MemoryTransport()
    outcome = run_due(settings, engine=engine, transport=transport, now=NOW)
    assert not outcome.ok
    cn, en = outcome.results
    assert cn.ok
    assert cn.send is not None
    assert cn.send.sent == len(CN_READERS)
    assert en.error.startswith(str(tmp_path / "missing" / "2025-06-30.md"))
    assert sorted(r for m in transport.sent for r in m.recipients) == sorted(CN_READERS)


def test_a_broken_digest_is_reported_and_the_other_edition_goes_out(
    engine: Engine, settings: Settings, readers: None, tmp_path: Path
) -> None:
    content = _site(tmp_path, cn_day=dt.date(2025, 7, 1), en_day=dt.date(2025, 6, 30))
    (content / "cn" / "2025-07" / "2025-07-01.md").write_text("", encoding="utf-8")
    _add_editions(engine, content)
    outcome = run_due(settings, engine=engine, transport=MemoryTransport(), now=NOW)
    assert [(r.edition, bool(r.error)) for r in outcome.results] == [("cn", True), ("en", False)]
    assert "empty file" in outcome.results[0].error
    assert _sent(engine) == {"en": ("2025-06-30", len(EN_READERS))}


@pytest.mark.parametrize("fail_en", [False, True])
def test_the_command_runs_every_due_edition(
    runner: CliRunner,
    cli_env: Settings,
    engine: Engine,
    readers: None,
    tmp_path: Path,
    fail_en: bool,
) -> None:
    now = dt.datetime.now(dt.UTC)
    content = tmp_path / "site"
    for slug, zone, lst in (
        ("cn", "Asia/Shanghai", "cn-daily"),
        ("en", "Europe/London", "en-daily"),
    ):
        source = (
            str(tmp_path / "gone-{date}.md")
            if fail_en and slug == "en"
            else f"{content}/{slug}/{{date}}.md"
        )
        args = ["editions", "add", slug, "--list", lst, "--timezone", zone, "--source", source]
        assert runner.invoke(app, args).exit_code == 0
    with db.transaction(engine) as session:
        from newsletter.editions import get_edition

        days = {slug: local_date(get_edition(session, slug), now) for slug in ("cn", "en")}
    for slug, day in days.items():
        (content / slug).mkdir(parents=True, exist_ok=True)
        shutil.copy(EDITIONS / f"{slug}-2025-07-01.md", content / slug / f"{day.isoformat()}.md")
    result = runner.invoke(app, ["daily", "--json"])
    data = json.loads(result.stdout)
    assert [e["edition"] for e in data["editions"]] == ["cn", "en"]
    assert data["editions"][0]["send"]["sent"] == len(CN_READERS)
    if fail_en:
        assert result.exit_code == 2
        assert data["ok"] is False
        assert "gone-" in data["editions"][1]["error"]
    else:
        assert result.exit_code == 0, result.output
        assert data["editions"][1]["send"]["sent"] == len(EN_READERS)
    text = runner.invoke(app, ["daily"])
    assert "already sent to 'cn-daily'" in text.stdout

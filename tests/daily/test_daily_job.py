"""`newsletter daily`: import, compose, render and send; a second run sends nothing twice."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.daily import run_daily
from newsletter.errors import InputError, NotFoundError
from newsletter.models import Delivery, DeliveryState, Issue, IssueStatus
from newsletter.sending import StopSignal
from newsletter.sending.worker.stop import StopKind
from newsletter.settings import Settings
from newsletter.transport import OutgoingMessage
from newsletter.transport.base import Closing
from newsletter.transport.memory import MemoryTransport

DAY = dt.date(2025, 8, 14)


def _recipients(transport: MemoryTransport) -> list[str]:
    return sorted(r for m in transport.sent for r in m.recipients)


def test_daily_sends_once_then_nothing(
    engine: Engine, settings: Settings, samples: Path, readers: list[str]
) -> None:
    transport = MemoryTransport()
    source = str(samples / "ai-daily-2025-08-14.md")
    first = run_daily(settings, engine=engine, transport=transport, source=source)
    assert first.date == DAY
    assert first.composed
    assert first.rendered
    assert first.send is not None
    assert first.send.sent == 3
    assert _recipients(transport) == sorted(readers)

    second = run_daily(settings, engine=engine, transport=transport, source=source)
    assert second.already_sent
    assert second.kept == [DAY]
    assert second.imported == []
    assert second.send is None
    assert len(transport.sent) == 3
    with db.transaction(engine) as session:
        issue = session.scalar(select(Issue).where(Issue.date == DAY))
        assert issue is not None
        assert issue.status is IssueStatus.SENT


class _StopAfter(Closing):
    """A transport that stops the run after ``n`` messages, like Ctrl-C in the middle."""

    def __init__(self, n: int, stop: StopSignal) -> None:
        self.inner = MemoryTransport()
        self.n = n
        self.stop = stop
        self.name = "memory"

    def send(self, message: OutgoingMessage) -> str:
        message_id = self.inner.send(message)
        if len(self.inner.sent) >= self.n:
            self.stop.stop(StopKind.INTERRUPTED, "test interrupt")
        return message_id

    def quota(self) -> None:
        return None

    def close(self) -> None:
        pass


def test_interrupted_daily_resumes_without_duplicates(
    engine: Engine, settings: Settings, samples: Path, readers: list[str]
) -> None:
    settings = settings.model_copy(update={"send_concurrency": 1})
    stop = StopSignal()
    first = _StopAfter(1, stop)
    source = str(samples / "ai-daily-2025-08-14.md")
    result = run_daily(settings, engine=engine, transport=first, source=source, stop=stop)
    assert result.send is not None
    assert result.send.stopped
    got_first = {r for m in first.inner.sent for r in m.recipients}
    assert 1 <= len(got_first) < 3

    second = MemoryTransport()
    again = run_daily(settings, engine=engine, transport=second, source=source)
    assert again.kept == [DAY]  # the issue is out: its items are not re-imported
    assert not again.composed
    got_second = {r for m in second.sent for r in m.recipients}
    assert got_first.isdisjoint(got_second)
    assert got_first | got_second == set(readers)
    with db.transaction(engine) as session:
        states = session.scalars(select(Delivery.state)).all()
        assert sorted(states) == [DeliveryState.SENT] * 3


def test_daily_from_a_feed_url_sends_the_newest_day(
    engine: Engine, settings: Settings, feed_server: str, readers: list[str]
) -> None:
    transport = MemoryTransport()
    result = run_daily(
        settings, engine=engine, transport=transport, source=f"{feed_server}/ai-daily-feed.rss.xml"
    )
    assert result.date == dt.date(2026, 1, 20)
    assert [r.date for r in result.imported] == [dt.date(2026, 1, 20), dt.date(2026, 1, 19)]
    assert result.send is not None
    assert result.send.sent == 3
    subject = transport.sent[0].raw.split(b"\r\n\r\n")[0]
    assert b"Subject:" in subject


def test_daily_errors_are_one_line_and_write_nothing(
    engine: Engine, settings: Settings, feed_server: str, readers: list[str]
) -> None:
    with pytest.raises(InputError, match=r"/missing.xml: HTTP 404$"):
        run_daily(settings, engine=engine, source=f"{feed_server}/missing.xml")
    with pytest.raises(NotFoundError, match="no items for 2025-08-14"):
        run_daily(settings, engine=engine, date=DAY)
    with db.transaction(engine) as session:
        assert session.scalars(select(Issue)).all() == []


def test_daily_cli_twice(
    runner: CliRunner, cli_env: Settings, samples: Path, engine: Engine, readers: list[str]
) -> None:
    source = str(samples / "ai-daily-2025-08-14.md")
    first = runner.invoke(app, ["daily", "--source", source, "--json"])
    assert first.exit_code == 0, first.output + first.stderr
    data = json.loads(first.output)
    assert data["send"]["sent"] == 3
    outbox = cli_env.file_outbox
    assert len(list(outbox.glob("*.eml"))) == 3
    second = runner.invoke(app, ["daily", "--source", source])
    assert second.exit_code == 0, second.output
    assert "2025-08-14: already sent to 'daily'; nothing to do" in second.output
    assert len(list(outbox.glob("*.eml"))) == 3

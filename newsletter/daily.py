"""The daily job: import the day's digest (when a source is given), compose, render, send.

Safe to run again: a day whose send finished is reported as already sent and nothing is
mailed twice; a day whose send was interrupted is resumed (the deliveries ledger knows who
got it). A sent or sending issue is never recomposed, and its items are not re-imported.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from newsletter import db
from newsletter.audience import get_or_create_list
from newsletter.compose import compose_issue
from newsletter.items import ImportResult, store_digest
from newsletter.lifecycle import is_out, needs_rendering, out_clause
from newsletter.models import Issue
from newsletter.render import render_and_store
from newsletter.sending import SendOptions, SendReport, StopSignal, send_issue
from newsletter.sending.lock import finished_run
from newsletter.sending.run import ProgressCallback
from newsletter.settings import Settings
from newsletter.sources import load_source
from newsletter.transport import Transport, make_transport

log = logging.getLogger(__name__)


@dataclass
class DailyResult:
    """What one run of the daily job did."""

    date: dt.date
    list_name: str
    imported: list[ImportResult] = field(default_factory=list)
    kept: list[dt.date] = field(default_factory=list)  # days not re-imported: already sending/sent
    #: One line per repaired part of the imported digest (logged; the job goes on).
    warnings: list[str] = field(default_factory=list)
    composed: bool = False
    rendered: bool = False
    already_sent: bool = False
    send: SendReport | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "date": self.date.isoformat(),
            "list": self.list_name,
            "imported": [
                {"date": r.date.isoformat(), "items": r.items, "replaced": r.replaced}
                for r in self.imported
            ],
            "kept": [d.isoformat() for d in self.kept],
            "warnings": self.warnings,
            "composed": self.composed,
            "rendered": self.rendered,
            "already_sent": self.already_sent,
            "send": self.send.as_dict() if self.send else None,
        }


def _import(
    engine: Engine,
    source: str,
    *,
    date: dt.date | None,
    result: DailyResult,
    drop_sections: list[str],
) -> dt.date:
    """Import every day of ``source`` whose issue is not out yet; returns the day to send.

    A repaired part of the digest (a bad link, raw HTML, an empty section) is logged as a
    warning and the job goes on with the rest."""
    parsed = load_source(source, date=date, drop_sections=drop_sections)  # all before writing
    for line in parsed.warnings:
        log.warning("import: %s", line)
    result.warnings.extend(parsed.warnings)
    digests = parsed.digests
    day = date or max(d.date for d in digests)
    with db.transaction(engine) as session:
        locked = set(session.scalars(select(Issue.date).where(out_clause())))
        for digest in digests:
            if digest.date in locked:
                result.kept.append(digest.date)
            else:
                result.imported.append(store_digest(session, digest, source=source))
    return day


def _finished(engine: Engine, *, issue_date: dt.date, list_name: str) -> bool:
    with db.transaction(engine) as session:
        issue = session.scalar(select(Issue).where(Issue.date == issue_date))
        if issue is None:
            return False
        mailing_list = get_or_create_list(session, list_name)
        return finished_run(session, issue_id=issue.id, list_id=mailing_list.id) is not None


def run_daily(
    settings: Settings,
    *,
    engine: Engine | None = None,
    transport: Transport | None = None,
    date: dt.date | None = None,
    source: str | None = None,
    list_name: str | None = None,
    today: dt.date | None = None,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> DailyResult:
    """Run the job for ``date`` (default: the source's newest day, else ``today``, UTC).

    ``source`` (default NEWSLETTER_DAILY_SOURCE) is a digest file or an http(s) feed URL;
    without one, the day's items must already be imported. Engine and transport are made
    from the settings when not given (and then closed here).
    """
    own_engine = engine is None
    engine = engine or db.make_engine(settings.database_url)
    try:
        db.check_schema(engine)
        name = list_name or settings.default_list
        source = source or settings.daily_source or None
        day = date or today or dt.datetime.now(dt.UTC).date()
        result = DailyResult(date=day, list_name=name)
        if source:
            result.date = day = _import(
                engine, source, date=date, result=result, drop_sections=settings.drop_sections
            )
        if _finished(engine, issue_date=day, list_name=name):
            result.already_sent = True
            return result
        with db.transaction(engine) as session:
            issue = session.scalar(select(Issue).where(Issue.date == day))
            fresh = any(r.date == day for r in result.imported)
            if issue is None or (not is_out(issue) and fresh):
                issue = compose_issue(session, date=day)
                result.composed = True
            if needs_rendering(issue):
                render_and_store(session, issue, settings)
                result.rendered = True
        result.send = _send(
            engine,
            settings=settings,
            transport=transport,
            date=day,
            list_name=name,
            on_progress=on_progress,
            stop=stop,
        )
        return result
    finally:
        if own_engine:
            engine.dispose()


def _send(
    engine: Engine,
    *,
    settings: Settings,
    transport: Transport | None,
    date: dt.date,
    list_name: str,
    on_progress: ProgressCallback | None,
    stop: StopSignal | None,
) -> SendReport:
    own = transport is None
    transport = transport or make_transport(settings, concurrency=settings.send_concurrency)
    options = SendOptions(date=date, list_name=list_name, rate=settings.send_rate)
    try:
        if settings.send_queue_url:
            # On AWS: plan here, and let the worker function send the slices from SQS.
            from newsletter.sending.fanout import fan_out, sqs_client

            return fan_out(engine, settings, transport, options=options, sqs=sqs_client(settings))
        return send_issue(
            engine, settings, transport, options=options, on_progress=on_progress, stop=stop
        )
    finally:
        if own:
            transport.close()

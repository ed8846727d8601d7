"""The daily job: import the day's digest (when a source is given), compose, render, send.

Per edition: :func:`run_daily` does one edition's day; :func:`run_due` does every edition
whose time has come, each on its own local date in its own time zone, one edition's
failure (its source is down, its digest is broken) reported without stopping the others.

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
from newsletter.compose import compose_issue, find_issue
from newsletter.editions import (
    edition_settings,
    get_edition,
    has_content,
    is_due,
    list_editions,
    list_name_of,
    local_date,
    send_time,
    source_for_day,
)
from newsletter.errors import NewsletterError
from newsletter.freshness import stale_reason
from newsletter.items import ImportResult, store_digest
from newsletter.lifecycle import is_out, needs_rendering, out_clause
from newsletter.models import Edition, Issue
from newsletter.render import render_and_store
from newsletter.sending import SendOptions, SendReport, StopSignal, send_issue
from newsletter.sending.run import ProgressCallback
from newsletter.sending.runs import finished_run
from newsletter.settings import Settings
from newsletter.sources import load_source
from newsletter.transport import Transport, make_transport

log = logging.getLogger(__name__)


@dataclass
class DailyResult:
    """What one run of the daily job did for one edition."""

    date: dt.date
    list_name: str
    edition: str = ""
    imported: list[ImportResult] = field(default_factory=list)
    kept: list[dt.date] = field(default_factory=list)  # days not re-imported: already sending/sent
    #: One line per repaired part of the imported digest (logged; the job goes on).
    warnings: list[str] = field(default_factory=list)
    composed: bool = False
    rendered: bool = False
    #: Why a stored rendering was made again ("" when it was current or new).
    rerendered: str = ""
    already_sent: bool = False
    send: SendReport | None = None
    #: Why the edition did not go out (its source failed, its digest is broken, ...).
    error: str = ""
    #: Why the edition was not run at all (its send time has not come).
    not_due: str = ""

    @property
    def ok(self) -> bool:
        """Whether the edition's day is out (or was before), or simply not due yet."""
        return not self.error and not (self.send is not None and self.send.stopped)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "edition": self.edition,
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
            "rerendered": self.rerendered,
            "already_sent": self.already_sent,
            "send": self.send.as_dict() if self.send else None,
            "error": self.error,
            "not_due": self.not_due,
        }


@dataclass
class DueRun:
    """What :func:`run_due` did: one :class:`DailyResult` per edition, in edition order."""

    results: list[DailyResult]

    @property
    def ok(self) -> bool:
        """Whether every edition that was due went out (or had gone out before)."""
        return all(r.ok for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"ok": self.ok, "editions": [r.as_dict() for r in self.results]}


def _import(
    engine: Engine,
    source: str,
    *,
    date: dt.date | None,
    result: DailyResult,
    drop_sections: list[str],
    edition: Edition,
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
        mine = session.get(Edition, edition.id)
        assert mine is not None
        locked = set(
            session.scalars(select(Issue.date).where(out_clause(), Issue.edition_id == edition.id))
        )
        for digest in digests:
            if digest.date in locked:
                result.kept.append(digest.date)
            else:
                result.imported.append(store_digest(session, digest, source=source, edition=mine))
    return day


def _finished(engine: Engine, *, edition: Edition, issue_date: dt.date, list_name: str) -> bool:
    with db.transaction(engine) as session:
        issue = find_issue(session, issue_date, edition=session.get(Edition, edition.id))
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
    edition: str | None = None,
    force: bool = False,
    no_rerender: bool = False,
) -> DailyResult:
    """Run the job for one edition (default: the default edition) and ``date`` (default:
    the source's newest day, else ``today``, else the edition's local date now).

    ``source`` (default: the edition's source, else NEWSLETTER_DAILY_SOURCE) is a digest
    file or an http(s) feed URL, or a template with ``{date}`` filled in with the day;
    without one, the day's items must already be imported. Engine and transport are made
    from the settings when not given (and then closed here). The send is guarded (the
    list's rates) unless ``force``; a day already sent is reported before any guard.
    """
    own_engine = engine is None
    engine = engine or db.make_engine(settings.database_url)
    try:
        db.check_schema(engine)
        with db.transaction(engine) as session:
            chosen = get_edition(session, edition)
            session.expunge(chosen)
        scoped = edition_settings(settings, chosen)
        name = list_name or list_name_of(settings, chosen)
        day = date or today or local_date(chosen, dt.datetime.now(dt.UTC))
        result = DailyResult(date=day, list_name=name, edition=chosen.slug)
        template = source or chosen.source or settings.daily_source
        if template:
            # A source with the day in it is that day's digest; a plain one (a feed, a
            # file) may hold several days, and its newest is the day unless one is named.
            dated = "{" in template
            result.date = day = _import(
                engine,
                source_for_day(template, day),
                date=date or (day if dated else None),
                result=result,
                drop_sections=scoped.drop_sections,
                edition=chosen,
            )
        if _finished(engine, edition=chosen, issue_date=day, list_name=name):
            result.already_sent = True
            return result
        with db.transaction(engine) as session:
            mine = session.get(Edition, chosen.id)
            issue = find_issue(session, day, edition=mine)
            fresh = any(r.date == day for r in result.imported)
            if issue is None or (not is_out(issue) and fresh):
                issue = compose_issue(session, date=day, edition=mine)
                result.composed = True
            stale = stale_reason(issue, settings)
            if needs_rendering(issue) or (stale and not no_rerender):
                # A rendering older than its issue or its settings is never sent as it is.
                render_and_store(session, issue, settings)
                result.rendered = True
                result.rerendered = stale or ""
        result.send = _send(
            engine,
            settings=scoped,
            transport=transport,
            options=SendOptions(
                date=day,
                list_name=name,
                edition=chosen.slug,
                rate=scoped.send_rate,
                force=force,
                no_rerender=no_rerender,
            ),
            on_progress=on_progress,
            stop=stop,
        )
        return result
    finally:
        if own_engine:
            engine.dispose()


def _has_content(engine: Engine, edition: Edition) -> bool:
    with db.transaction(engine) as session:
        mine = session.get(Edition, edition.id)
        return mine is not None and has_content(session, mine)


def run_due(
    settings: Settings,
    *,
    engine: Engine,
    transport: Transport | None = None,
    now: dt.datetime | None = None,
    force: bool = False,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> DueRun:
    """Run :func:`run_daily` for every edition whose send time has come at ``now`` (default:
    the current time), each on its own local date. An edition that fails (its source is
    down, its digest is broken, its guard refuses) is reported in its result and the others
    go on; an edition not due yet is reported as such."""
    now = now or dt.datetime.now(dt.UTC)
    db.check_schema(engine)
    with db.transaction(engine) as session:
        editions = list_editions(session)
        for edition in editions:
            session.expunge(edition)
    results = []
    for edition in editions:
        day = local_date(edition, now)
        if not (edition.source or settings.daily_source or _has_content(engine, edition)):
            # An edition with nowhere to get a digest from that never had one (the default
            # edition of an installation whose editions are all named) is not a failure.
            continue
        if not is_due(edition, now):
            at = send_time(edition)
            results.append(
                DailyResult(
                    date=day,
                    list_name=list_name_of(settings, edition),
                    edition=edition.slug,
                    not_due=f"sends at {at:%H:%M} {edition.timezone or 'UTC'}",
                )
            )
            continue
        try:
            result = run_daily(
                settings,
                engine=engine,
                transport=transport,
                today=day,
                edition=edition.slug,
                force=force,
                on_progress=on_progress,
                stop=stop,
            )
        except NewsletterError as exc:
            log.warning("daily: edition %s failed: %s", edition.slug, exc)
            result = DailyResult(
                date=day,
                list_name=list_name_of(settings, edition),
                edition=edition.slug,
                error=str(exc),
            )
        results.append(result)
        if stop is not None and stop.is_set:
            break
    return DueRun(results)


def _send(
    engine: Engine,
    *,
    settings: Settings,
    transport: Transport | None,
    options: SendOptions,
    on_progress: ProgressCallback | None,
    stop: StopSignal | None,
) -> SendReport:
    own = transport is None
    transport = transport or make_transport(settings, concurrency=settings.send_concurrency)
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

"""`send issue`, `send retry` and `send work`: a run, from the lock to the final report.

A run:

1. checks the settings, finds the issue and the list, renders the issue if it is a draft
   (once, stored), and reads the provider's quota: the rate is the lower of ``rate`` and
   SES's MaxSendRate, the daily budget what is left of Max24HourSend; both are the run's,
   stored on its record, shared by its workers;
2. takes the run lock (one running send per issue), settles rows a crashed run left
   ``sending`` (uncertain: queued again, or skipped with ``--uncertain skip``), and marks the
   issue SENDING;
3. plans: a ledger row for every mailable subscriber (``INSERT ... SELECT``), and the
   queued rows cut into slices;
4. works the slices: in this process, or in ``workers`` local processes (PostgreSQL), which
   other machines may join (`send work`); a worker that dies leaves its slice to the others;
5. ends FINISHED (issue SENT) when every slice is done, or STOPPED with the reason (account
   error, quota, Ctrl-C, lost lock) and every row's state kept, so that running the same
   command again continues where it stopped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from newsletter.audience import get_list
from newsletter.compose import get_issue
from newsletter.db import transaction
from newsletter.editions import edition_settings, get_edition, list_name_of
from newsletter.errors import StateError
from newsletter.feedback.guard import check_send_guard
from newsletter.feedback.tracking import tag_links
from newsletter.freshness import stale_reason
from newsletter.identity import require_postal_address
from newsletter.lifecycle import is_out, mark_sent, start_sending
from newsletter.media.check import check_issue_media
from newsletter.models import (
    Delivery,
    DeliveryState,
    Edition,
    Issue,
    IssueStatus,
    MailingList,
    SendRunStatus,
    SliceState,
)
from newsletter.models.base import utcnow
from newsletter.render import RenderedEmail, render_and_store, render_issue
from newsletter.render.issue import stored_rendering
from newsletter.sending import ledger, runs
from newsletter.sending.breaker import PAUSED
from newsletter.sending.decision import RunDecision, decide
from newsletter.sending.local import start_workers
from newsletter.sending.options import Mode, SendOptions, UncertainPolicy
from newsletter.sending.personal import IssueMailer
from newsletter.sending.report import ProgressCallback, RatePlan, SendReport
from newsletter.sending.runs import (
    RunFacts,
    acquire,
    finished_run,
    make_owner,
    release,
    running_run,
)
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Snapshot, Tally
from newsletter.sending.worker.work import WorkResult, work
from newsletter.settings import Settings
from newsletter.transport import Transport

__all__ = ["ProgressCallback", "join_send", "retry_issue", "send_issue"]

log = logging.getLogger(__name__)

#: Seconds between two looks at the uncertain rows while waiting for SES's events.
RECONCILE_POLL = 0.5


@dataclass(frozen=True)
class _Scope:
    """The edition a send is of: the settings seen through it, its id, the list."""

    settings: Settings
    edition_id: int
    list_name: str
    force: bool
    no_rerender: bool
    #: The options as the run records them.
    options: dict[str, Any]


def _scope(engine: Engine, settings: Settings, options: SendOptions) -> _Scope:
    with transaction(engine) as session:
        edition = get_edition(session, options.edition)
        return _Scope(
            edition_settings(settings, edition),
            edition.id,
            options.list_name or list_name_of(settings, edition),
            options.force,
            options.no_rerender,
            {
                "edition": edition.slug,
                "list": options.list_name or list_name_of(settings, edition),
                "rate": options.rate,
                "concurrency": options.concurrency,
                "workers": options.workers,
                "uncertain": options.uncertain.value,
                "force": options.force,
                "no_rerender": options.no_rerender,
            },
        )


def _check_settings(settings: Settings) -> None:
    settings.require_sender()
    settings.require_base_url()
    settings.require_secret_key()
    require_postal_address(settings)


def _quota_reason(engine: Engine, plan: RatePlan, report: SendReport) -> Callable[[], str]:
    def reason() -> str:
        oldest = ledger.oldest_send_within(engine)
        when = (oldest + dt.timedelta(hours=24)) if oldest else utcnow() + dt.timedelta(hours=24)
        report.resume_after = when
        return (
            f"stopped before the 24-hour sending quota runs out ({plan.quota_note} at the "
            f"start); it can go on from about {when:%Y-%m-%d %H:%M} UTC, when earlier sends "
            "leave the 24-hour window: run the same command again then"
        )

    return reason


#: Seconds between two looks of the run's process at its local workers.
MONITOR_EVERY = 0.25
#: Why a send on SQLite has one worker.
SQLITE_ONE_WORKER = "SQLite runs one worker (several need PostgreSQL)"


def send_issue(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    options: SendOptions,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> SendReport:
    """Send the issue of ``options.date`` to every mailable subscriber of the list, once.

    With ``options.dry_run`` nothing is written or sent: the report says what would happen.
    Raises :class:`StateError` when the issue was already sent to this list or another send
    of it is running; configuration problems raise :class:`ConfigError` before anything
    changes. A stop (account error, quota, Ctrl-C) is not an exception: the report says
    ``stopped`` with the reason.
    """
    return _run(
        engine,
        settings,
        transport,
        mode=Mode.SEND,
        options=options,
        on_progress=on_progress,
        stop=stop or StopSignal(),
    )


def retry_issue(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    options: SendOptions,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
) -> SendReport:
    """Send the deferred and failed messages of the issue again (still to mailable ones only)."""
    return _run(
        engine,
        settings,
        transport,
        mode=Mode.RETRY,
        options=options,
        on_progress=on_progress,
        stop=stop or StopSignal(),
    )


def join_send(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    options: SendOptions,
    run_id: int | None = None,
    stop: StopSignal | None = None,
) -> WorkResult:
    """Join the running send of the issue as one more worker (`send work`), until no slice
    is left to take. :class:`StateError` when none is running, or on SQLite."""
    scope = _scope(engine, settings, options)
    settings = scope.settings
    _check_settings(settings)
    if engine.dialect.name == "sqlite":
        raise StateError(f"{SQLITE_ONE_WORKER}: `send work` cannot join a send on SQLite")
    issue_id = None
    if run_id is None:  # a run named by its id needs no day or edition to find it
        with transaction(engine) as session:
            edition = session.get(Edition, scope.edition_id)
            issue_id = get_issue(session, options.date, edition=edition).id
    run = running_run(engine, issue_id=issue_id, run_id=run_id)
    tuning = options.tuning
    return work(
        engine,
        settings,
        transport,
        run=run,
        concurrency=options.concurrency or settings.send_concurrency,
        tuning=tuning,
        stop=stop or StopSignal(),
    )


@dataclass
class _Prepared:
    issue_id: int
    issue_date: str
    issue_status: IssueStatus
    list_id: int
    list_name: str
    rendered: RenderedEmail
    #: Why the stored rendering was made again ("" when it was current).
    rerendered: str = ""
    decision: RunDecision | None = None


def _prepare(
    engine: Engine,
    scope: _Scope,
    *,
    mode: Mode,
    date: dt.date,
    dry_run: bool,
) -> _Prepared:
    settings, list_name = scope.settings, scope.list_name
    with transaction(engine) as session:
        issue = get_issue(session, date, edition=session.get(Edition, scope.edition_id))
        mailing_list = get_list(session, list_name)
        if mode is Mode.SEND and not dry_run:
            finished = finished_run(session, issue_id=issue.id, list_id=mailing_list.id)
            if finished is not None:
                when = f"{finished.finished_at:%Y-%m-%d %H:%M}" if finished.finished_at else ""
                raise StateError(
                    f"the issue of {date.isoformat()} was already sent to {list_name!r} "
                    f"(run {finished.id}, finished {when}); `newsletter send status --date "
                    f"{date.isoformat()}` shows the ledger, `newsletter send retry` re-sends "
                    "deferred and failed messages"
                )
        if mode is Mode.SEND and not dry_run and not scope.force:
            last = runs.last_run(session, issue_id=issue.id, list_id=mailing_list.id)
            if last is not None and last.stop_reason.startswith(PAUSED):
                # A paused send goes on only when the operator says so.
                raise StateError(f"the last send of {date.isoformat()} was {last.stop_reason}")
        if mode is Mode.RETRY and not is_out(issue):
            raise StateError(
                f"the issue of {date.isoformat()} has not been sent: use `newsletter send issue`"
            )
        verdict = None
        if not dry_run:
            # The rate guard, on every path that sends (issue, retry, daily, the fan-out).
            verdict = check_send_guard(
                session,
                list_id=mailing_list.id,
                list_name=mailing_list.name,
                issue_id=issue.id,
                force=scope.force,
            )
        rendered = stored_rendering(issue)
        stale = stale_reason(issue, settings) if rendered is not None else None
        if stale:
            # No path sends a rendering older than its issue or its settings.
            if scope.no_rerender:
                raise StateError(
                    f"the rendering of {date.isoformat()} is stale ({stale}): render it again "
                    "(`newsletter issue render`) or send without --no-rerender"
                )
            log.warning("issue %s: rendered again before sending: %s", date.isoformat(), stale)
            rendered = None
        if rendered is None:
            # A draft is rendered here, once; the send never renders per recipient.
            rendered = render_issue(issue, settings) if dry_run else None
            if rendered is None:
                rendered = render_and_store(session, issue, settings)
        check_issue_media(rendered.html, settings)  # no send with a broken hosted image
        decision = decide(
            session,
            settings,
            list_id=mailing_list.id,
            verdict=verdict,
            owner=make_owner(),
            options={**scope.options, "mode": mode.value},
            rendered=rendered,
            rerendered=stale or "",
        )
        # Feedback: a tracked list's copy has its links tagged so that clicks count per link.
        if decision.tracked:
            rendered = dataclasses.replace(rendered, html=tag_links(rendered.html))
        return _Prepared(
            issue.id,
            issue.date.isoformat(),
            issue.status,
            mailing_list.id,
            mailing_list.name,
            rendered,
            stale or "",
            decision,
        )


def _run(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    mode: Mode,
    options: SendOptions,
    on_progress: ProgressCallback | None,
    stop: StopSignal,
) -> SendReport:
    scope = _scope(engine, settings, options)
    settings = scope.settings
    _check_settings(settings)
    concurrency = options.concurrency or settings.send_concurrency
    dry_run = options.dry_run and mode is Mode.SEND
    workers, note = options.workers, ""
    if workers > 1 and engine.dialect.name == "sqlite":
        workers, note = 1, f"{SQLITE_ONE_WORKER}; {options.workers} were asked for"
        log.warning("%s", note)
    prep = _prepare(engine, scope, mode=mode, date=options.date, dry_run=dry_run)
    plan = RatePlan.make(transport.quota(), requested=options.rate)
    report = SendReport(
        date=prep.issue_date,
        list_name=prep.list_name,
        mode=mode.value,
        status="dry-run" if dry_run else SendRunStatus.RUNNING.value,
        rate=plan,
        concurrency=concurrency,
        transport=transport.name,
        uncertain_policy=options.uncertain.value,
        workers=workers,
        workers_note=note,
        rerendered=prep.rerendered,
    )
    if dry_run:
        return _dry_run(engine, settings, report, prep=prep)

    run = _lock_and_settle(
        engine,
        report,
        prep=prep,
        mode=mode,
        plan=plan,
        options=options,
        wait=settings.reconcile_wait,
    )
    try:
        _plan(
            engine,
            report,
            prep=prep,
            mode=mode,
            run=run,
            rows_per_slice=options.tuning.slice_rows,
        )
        tally = Tally(report.to_send)
        results = _work(
            engine,
            settings,
            transport,
            facts=run,
            workers=workers,
            concurrency=concurrency,
            options=options,
            tally=tally,
            stop=stop,
            on_progress=on_progress,
            quota_reason=_quota_reason(engine, plan, report),
        )
    except KeyboardInterrupt:
        stop.stop(StopKind.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)")
        results = []
    except SQLAlchemyError as exc:
        stop.stop(StopKind.ERROR, f"database error: {exc}")
        results = []
    except BaseException as exc:
        stop.stop(StopKind.ERROR, f"unexpected error: {exc!r}")
        _finish(engine, report, stop=stop, prep=prep, mode=mode, run=run, results=[])
        raise
    _finish(engine, report, stop=stop, prep=prep, mode=mode, run=run, results=results)
    return report


def _plan(
    engine: Engine,
    report: SendReport,
    *,
    prep: _Prepared,
    mode: Mode,
    run: RunFacts,
    rows_per_slice: int,
) -> None:
    if mode is Mode.SEND:
        ledger.plan_rows(engine, issue_id=prep.issue_id, list_id=prep.list_id)
    made = runs.make_slices(
        engine,
        run_id=run.run_id,
        issue_id=prep.issue_id,
        list_id=prep.list_id,
        rows_per_slice=rows_per_slice,
    )
    report.slices = len(made)
    report.to_send = ledger.count_mailable_queued(
        engine, issue_id=prep.issue_id, list_id=prep.list_id
    )


def plan_send(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    options: SendOptions,
    rows_per_slice: Callable[[float | None], int],
) -> tuple[SendReport, RunFacts]:
    """Steps 1-3 of a send only: the run locked, its rows and slices planned, nothing sent.

    ``rows_per_slice`` sizes slices from the run's rate. The run stays ``running``, its
    heartbeat kept by whatever workers take its slices (:func:`newsletter.sending.fanout`).
    """
    scope = _scope(engine, settings, options)
    settings = scope.settings
    _check_settings(settings)
    prep = _prepare(engine, scope, mode=Mode.SEND, date=options.date, dry_run=False)
    plan = RatePlan.make(transport.quota(), requested=options.rate)
    report = SendReport(
        date=prep.issue_date,
        list_name=prep.list_name,
        mode=Mode.SEND.value,
        status=SendRunStatus.RUNNING.value,
        rate=plan,
        concurrency=options.concurrency or settings.send_concurrency,
        transport=transport.name,
        uncertain_policy=options.uncertain.value,
        rerendered=prep.rerendered,
    )
    run = _lock_and_settle(
        engine,
        report,
        prep=prep,
        mode=Mode.SEND,
        plan=plan,
        options=options,
        wait=settings.reconcile_wait,
    )
    _plan(
        engine,
        report,
        prep=prep,
        mode=Mode.SEND,
        run=run,
        rows_per_slice=rows_per_slice(plan.effective),
    )
    counts = ledger.state_counts(engine, issue_id=prep.issue_id)
    report.ledger = {s.value: n for s, n in counts.items()}
    report.issue_status = IssueStatus.SENDING.value
    return report, run


def close_if_complete(engine: Engine, *, run: RunFacts) -> bool:
    """Finish the run (issue SENT) when every slice is done; True if it is finished now.

    Called by a worker after each slice it finishes (the SQS path, where no process waits
    for the end); harmless when another worker finished it first.
    """
    counts = runs.slice_counts(engine, run_id=run.run_id)
    if counts[SliceState.OPEN] or counts[SliceState.TAKEN]:
        return False
    mode = run.mode
    ledger.skip_unmailable(engine, issue_id=run.issue_id, list_id=run.list_id)
    with transaction(engine) as session:
        issue = session.get(Issue, run.issue_id)
        assert issue is not None
        if mode == Mode.SEND.value:
            mark_sent(issue, now=utcnow())
    release(engine, run, status=SendRunStatus.FINISHED)
    return True


def _await_events(engine: Engine, *, run: RunFacts, seconds: float) -> int:
    """Wait up to ``seconds`` while rows of the issue are left ``sending`` (no live run owns
    them: this run holds the lock), keeping this run's heartbeat; returns how many of them
    SES's events settled as sent meanwhile."""

    def unsettled() -> int:
        with engine.connect() as conn:
            query = select(func.count()).where(
                Delivery.issue_id == run.issue_id, Delivery.state == DeliveryState.SENDING
            )
            return int(conn.execute(query).scalar() or 0)

    start = left = unsettled()
    deadline = time.monotonic() + seconds
    while left and time.monotonic() < deadline:
        time.sleep(min(RECONCILE_POLL, max(0.0, deadline - time.monotonic())))
        runs.beat_run(engine, run)
        left = unsettled()
    if start:
        log.info("%d of %d uncertain rows settled by SES events", start - left, start)
    return start - left


def _lock_and_settle(
    engine: Engine,
    report: SendReport,
    *,
    prep: _Prepared,
    mode: Mode,
    plan: RatePlan,
    options: SendOptions,
    wait: float = 0.0,
) -> RunFacts:
    with transaction(engine) as session:
        issue = session.get(Issue, prep.issue_id)
        assert issue is not None
        mailing_list = session.get(MailingList, prep.list_id)
        assert mailing_list is not None
        run = acquire(
            session,
            issue=issue,
            mailing_list=mailing_list,
            owner=make_owner(),
            rate=plan.effective,
            quota_left=plan.remaining_24h,
            mode=mode.value,
            uncertain_policy=options.uncertain.value,
            decision=prep.decision,
            stale_after=options.tuning.stale_after,
        )
    # Rows a crash left 'sending': SES's events for them (a Send event for every message it
    # took) settle them as sent; wait a bounded time for those, then resend only the rest.
    report.reconciled = _await_events(engine, run=run, seconds=wait)
    with transaction(engine) as session:
        issue = session.get(Issue, prep.issue_id)
        assert issue is not None
        resend = options.uncertain is UncertainPolicy.RESEND
        report.uncertain, report.uncertain_subscriber_ids = ledger.settle_uncertain(
            session, issue_id=prep.issue_id, resend=resend
        )
        if mode is Mode.RETRY:
            report.requeued = ledger.requeue_for_retry(
                session, issue_id=prep.issue_id, list_id=prep.list_id
            )
        start_sending(issue)
    report.run_id = run.run_id
    report.took_over = run.took_over
    if report.uncertain:
        log.warning(
            "%d messages were left 'sending' by a crashed run (%s)",
            report.uncertain,
            "sending them again" if resend else "leaving them",
        )
    return run


def _work(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    facts: RunFacts,
    workers: int,
    concurrency: int,
    options: SendOptions,
    tally: Tally,
    stop: StopSignal,
    on_progress: ProgressCallback | None,
    quota_reason: Callable[[], str],
) -> list[WorkResult]:
    def here() -> WorkResult:
        return work(
            engine,
            settings,
            transport,
            run=facts,
            concurrency=concurrency,
            tuning=options.tuning,
            stop=stop,
            tally=tally,
            wait_for_others=True,
            quota_reason=quota_reason,
        )

    if workers == 1:
        return _with_watch(here, watch=lambda: on_progress and on_progress(tally.snapshot()))
    # This process is one of the workers; the others start beside it and join the run.
    local = start_workers(
        settings,
        run_id=facts.run_id,
        count=workers - 1,
        concurrency=concurrency,
        tuning=options.tuning,
    )

    def watch() -> None:
        for code in local.exited():
            if code > 0:
                # A worker that stopped (account error, quota, lost lock) stops the run; one
                # that was killed (a signal) leaves its slice to the others.
                stop.stop(StopKind.ERROR, f"a worker stopped: {local.last_error() or code}")
        if on_progress is not None:
            on_progress(_run_snapshot(engine, facts, total=tally.total))

    try:
        results = _with_watch(here, watch=watch)
    finally:
        if stop.is_set:
            local.terminate()
        local.wait()
    try:
        watch()
    finally:
        local.close()
    return results


def _with_watch(
    target: Callable[[], WorkResult], *, watch: Callable[[], object]
) -> list[WorkResult]:
    """Run ``target`` here while a thread calls ``watch`` every :data:`MONITOR_EVERY` s."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(MONITOR_EVERY):
            try:
                watch()
            except Exception:  # a display or watch problem must never stop the send
                log.exception("send watch failed")

    thread = threading.Thread(target=loop, name="send-watch", daemon=True)
    thread.start()
    try:
        return [target()]
    finally:
        done.set()
        thread.join()
        watch()


def _run_snapshot(engine: Engine, facts: RunFacts, *, total: int) -> Snapshot:
    totals = runs.worker_totals(engine, run_id=facts.run_id)
    return Snapshot(
        total=total,
        sent=totals.sent,
        failed=totals.failed,
        deferred=totals.deferred,
        skipped=totals.skipped,
        retries=0,
        elapsed=0.0,
        rate=totals.share or 0.0,
    )


def _finish(
    engine: Engine,
    report: SendReport,
    *,
    stop: StopSignal,
    prep: _Prepared,
    mode: Mode,
    run: RunFacts,
    results: list[WorkResult],
) -> None:
    started = time.monotonic()
    try:
        totals = runs.worker_totals(engine, run_id=run.run_id)
        report.sent, report.failed = totals.sent, totals.failed
        report.deferred, report.skipped = totals.deferred, totals.skipped
        for r in results:
            report.retries += r.retries
            report.lost_results += r.lost_results
            report.uncertain += r.uncertain
            room = ledger.UNCERTAIN_LIST_MAX - len(report.uncertain_subscriber_ids)
            report.uncertain_subscriber_ids += r.uncertain_subscriber_ids[: max(0, room)]
            report.elapsed = max(report.elapsed, r.elapsed)
            report.achieved_rate = max(report.achieved_rate, r.achieved_rate)
        counts = runs.slice_counts(engine, run_id=run.run_id)
        unfinished = counts[SliceState.OPEN] + counts[SliceState.TAKEN]
        if unfinished and not stop.is_set:
            stop.stop(StopKind.ERROR, f"{unfinished} slices were left unfinished")
        if stop.is_set:
            if stop.kind is StopKind.QUOTA and report.resume_after is None:
                oldest = ledger.oldest_send_within(engine)
                report.resume_after = (oldest or utcnow()) + dt.timedelta(hours=24)
            report.status = SendRunStatus.STOPPED.value
            report.stop_kind = stop.kind.value if stop.kind else ""
            report.stop_reason = stop.reason
            release(engine, run, status=SendRunStatus.STOPPED, reason=stop.reason)
            left = ledger.count_mailable_queued(
                engine, issue_id=prep.issue_id, list_id=prep.list_id
            )
        else:
            report.skipped += ledger.skip_unmailable(
                engine, issue_id=prep.issue_id, list_id=prep.list_id
            )
            with transaction(engine) as session:
                issue = session.get(Issue, prep.issue_id)
                assert issue is not None
                if mode is Mode.SEND:
                    mark_sent(issue, now=utcnow())
            release(engine, run, status=SendRunStatus.FINISHED)
            report.status = SendRunStatus.FINISHED.value
            left = 0
        # What this run sends to: those it tried, and those still waiting when it stopped
        # (not those who became unmailable before their turn: they are `skipped`).
        report.to_send = report.sent + report.failed + report.deferred + left
        ledger_counts = ledger.state_counts(engine, issue_id=prep.issue_id)
        report.ledger = {s.value: n for s, n in ledger_counts.items()}
        with transaction(engine) as session:
            issue = session.get(Issue, prep.issue_id)
            report.issue_status = issue.status.value if issue else ""
    except SQLAlchemyError as exc:
        # The database went away: the next run finds the lock stale and takes it over.
        log.error("cannot close the send run: %s", exc)
        report.status = SendRunStatus.STOPPED.value
        report.stop_kind = report.stop_kind or StopKind.ERROR.value
        report.stop_reason = report.stop_reason or f"database error: {exc}"
    report.elapsed = report.elapsed or time.monotonic() - started


def _dry_run(
    engine: Engine, settings: Settings, report: SendReport, *, prep: _Prepared
) -> SendReport:
    report.to_send = ledger.count_to_plan(engine, issue_id=prep.issue_id, list_id=prep.list_id)
    counts = ledger.state_counts(engine, issue_id=prep.issue_id)
    report.ledger = {s.value: n for s, n in counts.items()}
    report.uncertain = counts[DeliveryState.SENDING]
    report.issue_status = prep.issue_status.value
    assert prep.decision is not None
    mailer = IssueMailer(
        settings,
        configuration_set=prep.decision.configuration_set,
        rendered=prep.rendered,
        issue_id=prep.issue_id,
        issue_date=prep.issue_date,
        list_id=prep.list_id,
        list_name=prep.list_name,
    )
    # Build one message to prove the settings and the rendering make a valid one.
    mailer.message(ledger.Job(0, 0, "dry-run@example.com", ""))
    return report

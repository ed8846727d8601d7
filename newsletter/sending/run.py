"""`send issue` and `send retry`: the whole run, from the lock to the final report.

A run:

1. checks the settings, finds the issue and the list, renders the issue if it is a draft
   (once, stored), and reads the provider's quota: the rate is the lower of ``rate`` and
   SES's MaxSendRate, the daily budget what is left of Max24HourSend;
2. takes the run lock (one running send per issue), deals with rows a crashed run left
   ``sending`` (uncertain: queued again, or skipped with ``--uncertain skip``), and marks the
   issue SENDING;
3. reads recipients in keyset batches, adds their ledger rows, and feeds the workers;
4. ends FINISHED (issue SENT) after a complete pass, or STOPPED with the reason (account
   error, quota, Ctrl-C, lost lock) and every row's state kept, so that running the same
   command again continues where it stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from newsletter.audience import get_list
from newsletter.compose import get_issue
from newsletter.db import transaction
from newsletter.errors import StateError
from newsletter.feedback.tracking import tracked_rendering
from newsletter.identity import require_postal_address
from newsletter.lifecycle import is_out, mark_sent, start_sending
from newsletter.media.check import check_issue_media
from newsletter.models import DeliveryState, Issue, IssueStatus, SendRunStatus
from newsletter.models.base import utcnow
from newsletter.render import RenderedEmail, render_and_store, render_issue
from newsletter.render.issue import stored_rendering
from newsletter.sending import ledger
from newsletter.sending.control import Budget, StopKind, StopSignal, Tally
from newsletter.sending.lock import (
    RunLock,
    acquire,
    finished_run,
    make_owner,
    release,
)
from newsletter.sending.mailer import IssueMailer
from newsletter.sending.pool import PoolConfig, WorkerPool
from newsletter.sending.ratelimit import RateLimiter
from newsletter.sending.recipients import active_batches, count_to_send
from newsletter.sending.report import (
    Mode,
    ProgressCallback,
    RatePlan,
    SendReport,
    Tuning,
    UncertainPolicy,
)
from newsletter.sending.writer import LedgerWriter
from newsletter.settings import Settings
from newsletter.transport import Transport

__all__ = ["ProgressCallback", "retry_issue", "send_issue"]

log = logging.getLogger(__name__)


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


def send_issue(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    date: dt.date,
    list_name: str | None = None,
    rate: float | None = None,
    concurrency: int | None = None,
    uncertain: UncertainPolicy = UncertainPolicy.RESEND,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
    tuning: Tuning | None = None,
) -> SendReport:
    """Send the issue of ``date`` to every mailable subscriber of the list, exactly once.

    ``rate`` is messages (recipients) per second at most, None for no limit of ours (the
    provider's MaxSendRate still applies). With ``dry_run`` nothing is written or sent: the
    report says what would happen. Raises :class:`StateError` when the issue was already sent
    to this list or another send of it is running; configuration problems raise
    :class:`ConfigError` before anything changes. A stop (account error, quota, Ctrl-C) is
    not an exception: the report says ``stopped`` with the reason.
    """
    return _run(
        engine,
        settings,
        transport,
        mode=Mode.SEND,
        date=date,
        list_name=list_name,
        rate=rate,
        concurrency=concurrency,
        uncertain=uncertain,
        dry_run=dry_run,
        on_progress=on_progress,
        stop=stop,
        tuning=tuning or Tuning(),
    )


def retry_issue(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    date: dt.date,
    list_name: str | None = None,
    rate: float | None = None,
    concurrency: int | None = None,
    uncertain: UncertainPolicy = UncertainPolicy.RESEND,
    on_progress: ProgressCallback | None = None,
    stop: StopSignal | None = None,
    tuning: Tuning | None = None,
) -> SendReport:
    """Send the deferred and failed messages of the issue again (still to mailable ones only)."""
    return _run(
        engine,
        settings,
        transport,
        mode=Mode.RETRY,
        date=date,
        list_name=list_name,
        rate=rate,
        concurrency=concurrency,
        uncertain=uncertain,
        dry_run=False,
        on_progress=on_progress,
        stop=stop,
        tuning=tuning or Tuning(),
    )


@dataclass
class _Prepared:
    issue_id: int
    issue_date: str
    issue_status: IssueStatus
    list_id: int
    list_name: str
    rendered: RenderedEmail


def _prepare(
    engine: Engine, settings: Settings, *, mode: Mode, date: dt.date, list_name: str, dry_run: bool
) -> _Prepared:
    with transaction(engine) as session:
        issue = get_issue(session, date)
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
        if mode is Mode.RETRY and not is_out(issue):
            raise StateError(
                f"the issue of {date.isoformat()} has not been sent: use `newsletter send issue`"
            )
        rendered = stored_rendering(issue)
        if rendered is None:
            # A draft is rendered here, once; the send never renders per recipient.
            rendered = render_issue(issue, settings) if dry_run else None
            if rendered is None:
                rendered = render_and_store(session, issue, settings)
        check_issue_media(rendered.html, settings)  # no send with a broken hosted image
        # Feedback: a tracked list's copy has its links tagged so that clicks count per link.
        rendered = tracked_rendering(session, rendered, list_id=mailing_list.id)
        return _Prepared(
            issue.id,
            issue.date.isoformat(),
            issue.status,
            mailing_list.id,
            mailing_list.name,
            rendered,
        )


def _run(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    mode: Mode,
    date: dt.date,
    list_name: str | None,
    rate: float | None,
    concurrency: int | None,
    uncertain: UncertainPolicy,
    dry_run: bool,
    on_progress: ProgressCallback | None,
    stop: StopSignal | None,
    tuning: Tuning,
) -> SendReport:
    _check_settings(settings)
    workers = concurrency or settings.send_concurrency
    name = list_name or settings.default_list
    prep = _prepare(engine, settings, mode=mode, date=date, list_name=name, dry_run=dry_run)
    mailer = IssueMailer(
        settings,
        rendered=prep.rendered,
        issue_id=prep.issue_id,
        issue_date=prep.issue_date,
        list_id=prep.list_id,
        list_name=prep.list_name,
    )
    plan = RatePlan.make(transport.quota(), requested=rate)
    report = SendReport(
        date=prep.issue_date,
        list_name=prep.list_name,
        mode=mode.value,
        status="dry-run" if dry_run else SendRunStatus.RUNNING.value,
        rate=plan,
        concurrency=workers,
        transport=transport.name,
        uncertain_policy=uncertain.value,
    )
    if dry_run:
        return _dry_run(engine, report, prep=prep, mailer=mailer)

    stop = stop or StopSignal()
    with transaction(engine) as session:
        issue = session.get(Issue, prep.issue_id)
        assert issue is not None
        lock = acquire(
            session,
            issue=issue,
            list_id=prep.list_id,
            owner=make_owner(),
            stale_after=tuning.stale_after,
        )
        report.uncertain, report.uncertain_subscriber_ids = ledger.take_uncertain(
            session, issue_id=prep.issue_id, resend=uncertain is UncertainPolicy.RESEND
        )
        if mode is Mode.RETRY:
            report.requeued = ledger.requeue_for_retry(
                session, issue_id=prep.issue_id, list_id=prep.list_id
            )
        start_sending(issue)
    report.run_id = lock.run_id
    report.took_over = lock.took_over
    if report.uncertain:
        log.warning(
            "%d messages were left 'sending' by a crashed run (%s)",
            report.uncertain,
            "sending them again" if uncertain is UncertainPolicy.RESEND else "leaving them",
        )

    if mode is Mode.SEND:
        report.to_send = count_to_send(engine, issue_id=prep.issue_id, list_id=prep.list_id)
    else:
        report.to_send = ledger.state_counts(engine, issue_id=prep.issue_id)[DeliveryState.QUEUED]
    tally = Tally(report.to_send)
    limiter = RateLimiter(plan.effective, margin=tuning.rate_margin, sleep=stop.wait)
    writer = LedgerWriter(
        engine,
        lock=lock,
        stop=stop,
        heartbeat_every=tuning.heartbeat_every,
        on_progress=(lambda: on_progress(tally.snapshot())) if on_progress else None,
    )
    pool = WorkerPool(
        config=PoolConfig(
            concurrency=workers,
            max_attempts=tuning.max_attempts or settings.send_max_attempts,
            backoff=tuning.backoff,
            quota_reason=_quota_reason(engine, plan, report),
        ),
        transport=transport,
        build=mailer.message,
        writer=writer,
        limiter=limiter,
        budget=Budget(plan.remaining_24h),
        stop=stop,
        tally=tally,
        seed=tuning.seed,
    )
    writer.start()
    pool.start()
    unexpected: BaseException | None = None
    try:
        batches = _job_batches(
            engine,
            mode=mode,
            prep=prep,
            batch_size=tuning.batch_size,
            write_lock=writer.write_lock,
        )
        for jobs in batches:
            if stop.is_set:
                break
            for job in jobs:
                if not pool.submit(job):
                    break
        if stop.is_set:
            pool.abort()
        else:
            pool.finish()
    except KeyboardInterrupt:
        stop.stop(StopKind.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)")
        pool.abort()
    except SQLAlchemyError as exc:
        stop.stop(StopKind.ERROR, f"database error: {exc}")
        pool.abort()
    except BaseException as exc:
        stop.stop(StopKind.ERROR, f"unexpected error: {exc!r}")
        pool.abort()
        unexpected = exc
    finally:
        writer.close()
    _finish(engine, report, stop=stop, prep=prep, mode=mode, tally=tally, lock=lock)
    report.lost_results = writer.lost_results
    if unexpected is not None:
        raise unexpected
    return report


def _job_batches(
    engine: Engine,
    *,
    mode: Mode,
    prep: _Prepared,
    batch_size: int,
    write_lock: AbstractContextManager[object],
) -> Iterator[list[ledger.Job]]:
    if mode is Mode.RETRY:
        yield from ledger.queued_batches(
            engine, issue_id=prep.issue_id, list_id=prep.list_id, batch_size=batch_size
        )
        return
    for rows in active_batches(engine, list_id=prep.list_id, batch_size=batch_size):
        yield ledger.plan_batch(
            engine,
            issue_id=prep.issue_id,
            list_id=prep.list_id,
            rows=rows,
            write_lock=write_lock,
        )


def _finish(
    engine: Engine,
    report: SendReport,
    *,
    stop: StopSignal,
    prep: _Prepared,
    mode: Mode,
    tally: Tally,
    lock: RunLock,
) -> None:
    snap = tally.snapshot()
    report.sent, report.failed, report.deferred = snap.sent, snap.failed, snap.deferred
    report.skipped, report.retries, report.elapsed = snap.skipped, snap.retries, snap.elapsed
    report.achieved_rate = tally.achieved_rate()
    try:
        if stop.is_set:
            if stop.kind is StopKind.QUOTA and report.resume_after is None:
                oldest = ledger.oldest_send_within(engine)
                start = oldest or utcnow()
                report.resume_after = start + dt.timedelta(hours=24)
            report.status = SendRunStatus.STOPPED.value
            report.stop_kind = stop.kind.value if stop.kind else ""
            report.stop_reason = stop.reason
            release(engine, lock, status=SendRunStatus.STOPPED, reason=stop.reason)
        else:
            report.skipped += ledger.skip_unmailable(
                engine, issue_id=prep.issue_id, list_id=prep.list_id
            )
            with transaction(engine) as session:
                issue = session.get(Issue, prep.issue_id)
                assert issue is not None
                if mode is Mode.SEND:
                    mark_sent(issue, now=utcnow())
            release(engine, lock, status=SendRunStatus.FINISHED)
            report.status = SendRunStatus.FINISHED.value
        counts = ledger.state_counts(engine, issue_id=prep.issue_id)
        report.ledger = {s.value: n for s, n in counts.items()}
        with transaction(engine) as session:
            issue = session.get(Issue, prep.issue_id)
            report.issue_status = issue.status.value if issue else ""
    except SQLAlchemyError as exc:
        # The database went away: the next run finds the lock stale and takes it over.
        log.error("cannot close the send run: %s", exc)
        report.status = SendRunStatus.STOPPED.value
        report.stop_kind = report.stop_kind or StopKind.ERROR.value
        report.stop_reason = report.stop_reason or f"database error: {exc}"


def _dry_run(
    engine: Engine, report: SendReport, *, prep: _Prepared, mailer: IssueMailer
) -> SendReport:
    report.to_send = count_to_send(engine, issue_id=prep.issue_id, list_id=prep.list_id)
    counts = ledger.state_counts(engine, issue_id=prep.issue_id)
    report.ledger = {s.value: n for s, n in counts.items()}
    report.uncertain = counts[DeliveryState.SENDING]
    report.issue_status = prep.issue_status.value
    # Build one message to prove the settings and the rendering make a valid one.
    mailer.message(ledger.Job(0, 0, "dry-run@example.com", ""))
    return report

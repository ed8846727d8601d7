"""`newsletter send ...`: send an issue, retry, show the ledger, send test copies."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
from collections.abc import Iterator
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from newsletter.cli.context import runtime
from newsletter.cli.output import print_json, print_table
from newsletter.sending import (
    SendReport,
    Snapshot,
    StopKind,
    StopSignal,
    UncertainPolicy,
    retry_issue,
    send_issue,
    send_status,
    send_test,
)
from newsletter.settings import Settings
from newsletter.transport import Transport, make_transport

app = typer.Typer(help="Send an issue, retry, show delivery status, send test copies.")

DateArg = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (no progress bar).")]
ListOpt = Annotated[
    str | None, typer.Option("--list", help="List name (default: NEWSLETTER_DEFAULT_LIST).")
]
RateOpt = Annotated[
    float | None,
    typer.Option(
        "--rate",
        min=0,
        help="Messages per second at most (default NEWSLETTER_SEND_RATE; 0: no limit of ours). "
        "SES's MaxSendRate applies on top.",
    ),
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        max=256,
        help="Parallel sends (default NEWSLETTER_SEND_CONCURRENCY).",
    ),
]
UncertainOpt = Annotated[
    UncertainPolicy,
    typer.Option(
        "--uncertain",
        help="Rows a crashed run left 'sending': send them again (default) or skip them.",
    ),
]

#: Exit code of a run that stopped before its end (interrupted runs use 130, like a shell).
EXIT_STOPPED = 2
EXIT_INTERRUPTED = 130


def _rate(settings: Settings, rate: float | None) -> float | None:
    value = settings.send_rate if rate is None else rate
    return None if value == 0 else value


@contextlib.contextmanager
def _transport(settings: Settings, *, concurrency: int) -> Iterator[Transport]:
    transport = make_transport(settings, concurrency=concurrency)
    try:
        yield transport
    finally:
        transport.close()


@contextlib.contextmanager
def _sigterm_stops(stop: StopSignal) -> Iterator[None]:
    """SIGTERM (a scheduler ending the job) stops the send cleanly, like Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        stop.stop(StopKind.INTERRUPTED, "terminated (SIGTERM)")

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. under a test runner): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _Bar:
    """A Rich progress bar on stderr: sent, failed, current rate, ETA.

    It appears with the first progress report (a send refused up front prints nothing) and
    goes away when the send ends, leaving the summary.
    """

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("[bold]sending"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("sent {task.fields[sent]} · failed {task.fields[failed]}"),
            TextColumn("· {task.fields[rate]:.1f}/s"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.task is not None:
            self.progress.stop()

    def update(self, snap: Snapshot) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task(
                "send", total=snap.total or None, sent=0, failed=0, rate=0.0
            )
        self.progress.update(
            self.task,
            completed=snap.done,
            sent=snap.sent,
            failed=snap.failed + snap.deferred,
            rate=snap.rate,
        )


def _print_report(report: SendReport) -> None:
    echo = typer.echo
    head = f"issue {report.date} to list {report.list_name!r}"
    if report.status == "dry-run":
        echo(f"{head}: dry run, nothing sent")
        echo(f"  would send: {report.to_send} messages (issue is {report.issue_status})")
    else:
        echo(
            f"{head}: {report.mode} {report.status} in {report.elapsed:.1f} s (run {report.run_id})"
        )
        echo(
            f"  sent {report.sent}, failed {report.failed}, deferred {report.deferred}, "
            f"skipped {report.skipped}; retries {report.retries}"
        )
    plan = report.rate
    if plan.effective is None:
        rate = "no limit"
    elif plan.requested is not None and plan.effective < plan.requested:
        rate = f"{plan.effective:g}/s (SES's maximum; {plan.requested:g}/s asked)"
    else:
        rate = f"{plan.effective:g}/s"
    # Below the limiter's one-second burst every request starts at once: no pace to show.
    paced = report.status != "dry-run" and report.achieved_rate > 0
    achieved = f", achieved {report.achieved_rate:.1f}/s" if paced else ""
    echo(f"  rate: {rate}{achieved}; {report.concurrency} workers over {report.transport}")
    if plan.quota_note:
        echo(f"  quota: {plan.quota_note}")
    if plan.remaining_24h is not None:
        echo(f"  24-hour quota left at the start: {plan.remaining_24h:g}")
    if report.took_over:
        echo(f"  lock: {report.took_over}")
    if report.uncertain:
        what = "sent again" if report.uncertain_policy == "resend" else "left (skipped)"
        if report.status == "dry-run":
            what = "left 'sending' (uncertain unless a run is live)"
        ids = ", ".join(str(i) for i in report.uncertain_subscriber_ids[:20])
        more = " …" if report.uncertain > 20 else ""
        echo(
            f"  uncertain: {report.uncertain} messages a crashed run left 'sending' "
            f"(SES may have taken them): {what}; subscriber ids {ids}{more}"
        )
    if report.requeued:
        echo(f"  re-queued for retry: {report.requeued}")
    if report.lost_results:
        echo(f"  {report.lost_results} results could not be written: they show as uncertain")
    ledger = " · ".join(f"{k} {v}" for k, v in report.ledger.items() if v)
    echo(f"  ledger: {ledger or 'empty'}; issue {report.issue_status}")
    if report.resume_after:
        echo(f"  can go on from about {report.resume_after:%Y-%m-%d %H:%M} UTC")


def _end(report: SendReport, *, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
    else:
        _print_report(report)
    if report.stopped:
        typer.echo(f"error: the send stopped: {report.stop_reason}", err=True)
        interrupted = report.stop_kind == StopKind.INTERRUPTED.value
        raise typer.Exit(EXIT_INTERRUPTED if interrupted else EXIT_STOPPED)


@app.command("issue")
def issue_(
    ctx: typer.Context,
    date: DateArg,
    list_name: ListOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    uncertain: UncertainOpt = UncertainPolicy.RESEND,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send the issue to every active subscriber of the list, exactly once; resumable."""
    rt = runtime(ctx)
    settings = rt.settings
    workers = concurrency or settings.send_concurrency
    stop = StopSignal()
    bar = None if as_json or dry_run else _Bar()
    with (
        _transport(settings, concurrency=workers) as transport,
        _sigterm_stops(stop),
        bar if bar else contextlib.nullcontext(),
    ):
        report = send_issue(
            rt.engine(),
            settings,
            transport,
            date=date.date(),
            list_name=list_name,
            rate=_rate(settings, rate),
            concurrency=workers,
            uncertain=uncertain,
            dry_run=dry_run,
            on_progress=bar.update if bar else None,
            stop=stop,
        )
    _end(report, as_json=as_json)


@app.command()
def retry(
    ctx: typer.Context,
    date: DateArg,
    list_name: ListOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the deferred and failed messages of the issue again."""
    rt = runtime(ctx)
    settings = rt.settings
    workers = concurrency or settings.send_concurrency
    stop = StopSignal()
    bar = None if as_json else _Bar()
    with (
        _transport(settings, concurrency=workers) as transport,
        _sigterm_stops(stop),
        bar if bar else contextlib.nullcontext(),
    ):
        report = retry_issue(
            rt.engine(),
            settings,
            transport,
            date=date.date(),
            list_name=list_name,
            rate=_rate(settings, rate),
            concurrency=workers,
            on_progress=bar.update if bar else None,
            stop=stop,
        )
    _end(report, as_json=as_json)


@app.command()
def status(ctx: typer.Context, date: DateArg, as_json: JsonOpt = False) -> None:
    """The delivery ledger of the issue: counts by state, uncertain rows, runs."""
    result = send_status(runtime(ctx).engine(), date=date.date())
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(f"issue {result.date}: {result.issue_status}; {result.total} deliveries")
    print_table(
        "Deliveries", columns=["state", "count"], rows=[[k, v] for k, v in result.counts.items()]
    )
    if result.uncertain_open:
        typer.echo(
            f"{result.uncertain_open} uncertain: a crashed run left them 'sending' (SES may have "
            "taken them); the next `send issue` sends them again, `--uncertain skip` leaves them"
        )
    if result.uncertain_settled:
        typer.echo(f"{result.uncertain_settled} rows carry an uncertain note (see `error`)")
    rows = [
        [
            r.id,
            r.list_name,
            r.status,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            f"{r.finished_at:%H:%M:%S}" if r.finished_at else "",
            r.stop_reason,
        ]
        for r in result.runs
    ]
    if rows:
        print_table(
            "Runs", columns=["run", "list", "status", "started", "ended", "reason"], rows=rows
        )


@app.command("test")
def editor_copies(
    ctx: typer.Context,
    date: DateArg,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", help="Recipient (repeatable; default NEWSLETTER_EDITORS)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the issue, marked as a test, to editors; no ledger, no status change."""
    rt = runtime(ctx)
    with _transport(rt.settings, concurrency=1) as transport:
        copies = send_test(rt.engine(), rt.settings, transport, date=date.date(), to=to or ())
    failed = [c for c in copies if c.error]
    if as_json:
        print_json([{"to": c.to, "message_id": c.message_id, "error": c.error} for c in copies])
    else:
        for c in copies:
            typer.echo(f"{c.to}: {'failed: ' + c.error if c.error else 'sent ' + c.message_id}")
    if failed:
        raise typer.Exit(EXIT_STOPPED)

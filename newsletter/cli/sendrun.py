"""What the sending commands (`send issue`, `send retry`, `daily`) share: the transport, a
clean stop on Ctrl-C or SIGTERM, the progress bar, and the final report."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

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

from newsletter.cli.output import print_json
from newsletter.sending import SendReport, Snapshot, StopKind, StopSignal
from newsletter.sending.run import ProgressCallback
from newsletter.sending.worker.work import WorkResult
from newsletter.settings import Settings
from newsletter.transport import Transport, make_transport

#: Exit code of a run that stopped before its end (interrupted runs use 130, like a shell).
EXIT_STOPPED = 2
EXIT_INTERRUPTED = 130


def rate_or_default(settings: Settings, rate: float | None) -> float | None:
    value = settings.send_rate if rate is None else rate
    return None if value == 0 else value


@contextlib.contextmanager
def open_transport(settings: Settings, *, concurrency: int) -> Iterator[Transport]:
    transport = make_transport(settings, concurrency=concurrency)
    try:
        yield transport
    finally:
        transport.close()


@contextlib.contextmanager
def sigterm_stops(stop: StopSignal) -> Iterator[None]:
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


class ProgressBar:
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

    def __enter__(self) -> ProgressBar:
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


def print_report(report: SendReport) -> None:
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
    # The limiter lets one second's worth of requests start at once; a send no bigger than
    # that has no pace to show (its first-to-last rate would only measure the burst).
    attempts = report.sent + report.failed + report.deferred + report.retries
    beyond_burst = plan.effective is None or attempts > plan.effective
    paced = report.status != "dry-run" and report.achieved_rate > 0 and beyond_burst
    achieved = f", achieved {report.achieved_rate:.1f}/s" if paced else ""
    workers = f"{report.workers} worker processes × " if report.workers > 1 else ""
    echo(
        f"  rate: {rate}{achieved}; {workers}{report.concurrency} parallel sends over "
        f"{report.transport}"
    )
    if report.workers_note:
        echo(f"  workers: {report.workers_note}")
    if report.rerendered:
        echo(f"  rendered again before sending: {report.rerendered}")
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


def end_report(report: SendReport, *, as_json: bool) -> None:
    if as_json:
        print_json(report.as_dict())
    else:
        print_report(report)
    if report.stopped:
        typer.echo(f"error: the send stopped: {report.stop_reason}", err=True)
        interrupted = report.stop_kind == StopKind.INTERRUPTED.value
        raise typer.Exit(EXIT_INTERRUPTED if interrupted else EXIT_STOPPED)


def end_work(result: WorkResult, *, as_json: bool) -> None:
    if as_json:
        print_json(asdict(result))
    else:
        typer.echo(
            f"worker {result.worker_id}: {result.slices_done} slices, sent {result.sent}, "
            f"failed {result.failed}, deferred {result.deferred}, skipped {result.skipped} "
            f"in {result.elapsed:.1f} s"
        )
    if result.stop_reason:
        typer.echo(f"error: the worker stopped: {result.stop_reason}", err=True)
        interrupted = result.stop_kind == StopKind.INTERRUPTED.value
        raise typer.Exit(EXIT_INTERRUPTED if interrupted else EXIT_STOPPED)


@dataclass(frozen=True)
class SendSession:
    """An open transport, the stop signal the run watches, and where progress goes."""

    transport: Transport
    stop: StopSignal
    on_progress: ProgressCallback | None


@contextlib.contextmanager
def send_session(
    settings: Settings, *, concurrency: int | None, show_progress: bool
) -> Iterator[SendSession]:
    """Open the transport, make SIGTERM stop the run cleanly, show a bar if asked; close all."""
    stop = StopSignal()
    bar = ProgressBar() if show_progress else None
    with (
        open_transport(settings, concurrency=concurrency or settings.send_concurrency) as transport,
        sigterm_stops(stop),
        bar if bar else contextlib.nullcontext(),
    ):
        yield SendSession(transport, stop, bar.update if bar else None)

"""`newsletter send ...`: send an issue, retry, show the ledger, send test copies."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import print_json, print_table
from newsletter.cli.sendrun import (
    EXIT_STOPPED,
    end_report,
    end_work,
    open_transport,
    rate_or_default,
    send_session,
)
from newsletter.sending import (
    SendOptions,
    UncertainPolicy,
    join_send,
    retry_issue,
    send_issue,
    send_status,
    send_test,
)
from newsletter.sending.breaker import PAUSED
from newsletter.sending.fanout import dead_letter_counter

ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Send although the list's 30-day complaint or bounce rate is too high."
    ),
]
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
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Worker processes on this machine (PostgreSQL; SQLite runs one).",
    ),
]
UncertainOpt = Annotated[
    UncertainPolicy,
    typer.Option(
        "--uncertain",
        help="Rows a crashed run left 'sending': send them again (default) or skip them.",
    ),
]


@app.command("issue")
def issue_(
    ctx: typer.Context,
    date: DateArg,
    list_name: ListOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    workers: WorkersOpt = 1,
    uncertain: UncertainOpt = UncertainPolicy.RESEND,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be sent.")] = False,
    as_json: JsonOpt = False,
    force: ForceOpt = False,
    edition: EditionOpt = None,
    no_rerender: Annotated[
        bool,
        typer.Option("--no-rerender", help="Refuse (exit 2) when the stored rendering is stale."),
    ] = False,
) -> None:
    """Send the issue to every active subscriber of the list, exactly once; resumable. A
    stored rendering older than the issue or the settings is rendered again first."""
    rt = runtime(ctx)
    settings = rt.settings
    options = SendOptions(
        date=date.date(),
        list_name=list_name,
        edition=edition,
        force=force,
        no_rerender=no_rerender,
        rate=rate_or_default(settings, rate),
        concurrency=concurrency or settings.send_concurrency,
        workers=workers,
        uncertain=uncertain,
        dry_run=dry_run,
    )
    show = not (as_json or dry_run)
    with send_session(settings, concurrency=options.concurrency, show_progress=show) as run:
        report = send_issue(
            rt.engine(),
            settings,
            run.transport,
            options=options,
            on_progress=run.on_progress,
            stop=run.stop,
        )
    end_report(report, as_json=as_json)


@app.command()
def retry(
    ctx: typer.Context,
    date: DateArg,
    list_name: ListOpt = None,
    rate: RateOpt = None,
    concurrency: ConcurrencyOpt = None,
    workers: WorkersOpt = 1,
    as_json: JsonOpt = False,
    edition: EditionOpt = None,
    force: ForceOpt = False,
) -> None:
    """Send the deferred and failed messages of the issue again."""
    rt = runtime(ctx)
    settings = rt.settings
    options = SendOptions(
        date=date.date(),
        list_name=list_name,
        edition=edition,
        force=force,
        rate=rate_or_default(settings, rate),
        concurrency=concurrency or settings.send_concurrency,
        workers=workers,
    )
    with send_session(settings, concurrency=options.concurrency, show_progress=not as_json) as run:
        report = retry_issue(
            rt.engine(),
            settings,
            run.transport,
            options=options,
            on_progress=run.on_progress,
            stop=run.stop,
        )
    end_report(report, as_json=as_json)


@app.command()
def work(
    ctx: typer.Context,
    date: DateArg,
    concurrency: ConcurrencyOpt = None,
    run_id: Annotated[
        int | None, typer.Option("--run", help="The run to join (default: the running one).")
    ] = None,
    as_json: JsonOpt = False,
    edition: EditionOpt = None,
) -> None:
    """Join the running send of the issue as one more worker (PostgreSQL), from any machine."""
    rt = runtime(ctx)
    settings = rt.settings
    options = SendOptions(
        date=date.date(), edition=edition, concurrency=concurrency or settings.send_concurrency
    )
    with send_session(settings, concurrency=options.concurrency, show_progress=False) as run:
        result = join_send(
            rt.engine(), settings, run.transport, options=options, run_id=run_id, stop=run.stop
        )
    end_work(result, as_json=as_json)


@app.command()
def status(
    ctx: typer.Context, date: DateArg, as_json: JsonOpt = False, edition: EditionOpt = None
) -> None:
    """The delivery ledger of the issue: counts by state, uncertain rows, runs."""
    rt = runtime(ctx)
    result = send_status(
        rt.engine(),
        date=date.date(),
        dead_letters=dead_letter_counter(rt.settings),
        edition=edition,
        settings=rt.settings,
    )
    if as_json:
        print_json(result.as_dict())
        return
    typer.echo(
        f"issue {result.date} of edition {result.edition!r}: {result.issue_status}; "
        f"{result.total} deliveries"
    )
    if result.stale:
        typer.echo(f"stale: {result.stale} (the send renders it again)")
    if result.runs and result.runs[0].stop_reason.startswith(PAUSED):
        typer.echo(result.runs[0].stop_reason)
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
    if result.workers:
        print_table(
            "Workers of run " + str(result.workers[0].run_id),
            columns=["worker", "owner", "state", "heartbeat", "share/s", "sent", "failed"],
            rows=[
                [
                    w.id,
                    w.owner,
                    w.state,
                    f"{w.heartbeat_age:.0f} s ago",
                    "" if w.share is None else f"{w.share:g}",
                    w.sent,
                    w.failed + w.deferred,
                ]
                for w in result.workers
            ],
        )
    if result.slices:
        typer.echo("slices: " + ", ".join(f"{k} {v}" for k, v in result.slices.items()))
    if result.dead_letters is not None:
        typer.echo(
            f"dead-letter queue: {result.dead_letters} slices that kept failing"
            + (" (see `aws sqs receive-message`)" if result.dead_letters else "")
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
    edition: EditionOpt = None,
) -> None:
    """Send the issue, marked as a test, to editors; no ledger, no status change."""
    rt = runtime(ctx)
    with open_transport(rt.settings, concurrency=1) as transport:
        copies = send_test(
            rt.engine(), rt.settings, transport, date=date.date(), to=to or (), edition=edition
        )
    failed = [c for c in copies if c.error]
    if as_json:
        print_json([{"to": c.to, "message_id": c.message_id, "error": c.error} for c in copies])
    else:
        for c in copies:
            typer.echo(f"{c.to}: {'failed: ' + c.error if c.error else 'sent ' + c.message_id}")
    if failed:
        raise typer.Exit(EXIT_STOPPED)


@app.command()
def abandon(
    ctx: typer.Context,
    date: DateArg,
    list_name: ListOpt = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept on every row).")] = "",
    as_json: JsonOpt = False,
    edition: EditionOpt = None,
) -> None:
    """Give up the rest of a stopped or paused send: what was not sent is skipped, the issue
    is marked sent (out and frozen with what did go out)."""
    from newsletter.sending.abandon import abandon_send

    rt = runtime(ctx)
    done = abandon_send(
        rt.engine(),
        rt.settings,
        date=date.date(),
        edition=edition,
        list_name=list_name,
        reason=reason,
    )
    if as_json:
        print_json(done.__dict__)
        return
    typer.echo(
        f"issue {done.date} of edition {done.edition!r} to {done.list_name!r}: abandoned; "
        f"{done.sent} sent, {done.skipped} left unsent (skipped)"
    )

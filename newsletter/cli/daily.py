"""`newsletter daily`: the scheduled job (import, compose, render, send), safe to run twice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import echo_error, print_json
from newsletter.cli.sendrun import (
    EXIT_INTERRUPTED,
    EXIT_STOPPED,
    print_report,
    send_session,
)
from newsletter.daily import DailyResult, DueRun, run_daily, run_due
from newsletter.sending import StopKind


def _print(result: DailyResult, *, many: bool) -> None:
    who = f"{result.edition} " if many else ""
    for line in result.warnings:
        typer.echo(f"warning: {who}{line}", err=True)
    if result.not_due:
        typer.echo(f"{who}{result.date}: not due yet ({result.not_due})")
        return
    if result.error:
        echo_error(f"error: edition {result.edition!r}, {result.date}: {result.error}")
        return
    for r in result.imported:
        action = f"replaced {r.replaced} earlier items" if r.replaced else "new day"
        typer.echo(f"{who}{r.date}: imported {r.items} items in {r.sections} sections ({action})")
    for day in result.kept:
        typer.echo(f"{who}{day}: not re-imported: its issue is already sending or sent")
    if result.composed:
        typer.echo(f"{who}{result.date}: issue composed")
    if result.rendered:
        why = f" again ({result.rerendered})" if result.rerendered else ""
        typer.echo(f"{who}{result.date}: issue rendered{why}")
    if result.already_sent:
        typer.echo(f"{who}{result.date}: already sent to {result.list_name!r}; nothing to do")
    if result.send is not None:
        print_report(result.send)
        if result.send.stopped:
            echo_error(f"error: {who}the send stopped: {result.send.stop_reason}")


def daily(
    ctx: typer.Context,
    date: Annotated[
        dt.datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: the source's day)"),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Digest file or feed URL (default: the edition's source)."),
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Default: the edition's list.")
    ] = None,
    edition: EditionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Send although the list's rates are too high.")
    ] = False,
    no_rerender: Annotated[
        bool,
        typer.Option("--no-rerender", help="Refuse a stale rendering instead of redoing it."),
    ] = False,
) -> None:
    """Every edition whose send time has come: import its day's digest, compose, render and
    send it, each on its own local date; a second run sends nothing twice.

    With --edition, --date, --source or --list, only that one edition (default: the default
    edition) is run, whatever the time. The exit code is 0 when every edition that was due
    went out (or had gone out), 2 otherwise.
    """
    rt = runtime(ctx)
    single = any(v is not None for v in (edition, date, source, list_name))
    with send_session(rt.settings, concurrency=None, show_progress=not as_json) as run:
        if single:
            one = run_daily(
                rt.settings,
                engine=rt.engine(),
                transport=run.transport,
                date=date.date() if date else None,
                source=source,
                list_name=list_name,
                edition=edition,
                force=force,
                no_rerender=no_rerender,
                on_progress=run.on_progress,
                stop=run.stop,
            )
            outcome = DueRun([one])
        else:
            outcome = run_due(
                rt.settings,
                engine=rt.engine(),
                transport=run.transport,
                force=force,
                on_progress=run.on_progress,
                stop=run.stop,
            )
    if as_json:
        print_json(outcome.as_dict() if not single else outcome.results[0].as_dict())
    else:
        for result in outcome.results:
            _print(result, many=len(outcome.results) > 1)
    if not outcome.ok:
        interrupted = any(
            r.send is not None and r.send.stop_kind == StopKind.INTERRUPTED.value
            for r in outcome.results
        )
        raise typer.Exit(EXIT_INTERRUPTED if interrupted else EXIT_STOPPED)

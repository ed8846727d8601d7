"""`newsletter daily`: the scheduled job (import, compose, render, send), safe to run twice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from newsletter.cli.context import runtime
from newsletter.cli.output import print_json
from newsletter.cli.sendrun import end_report, send_session
from newsletter.daily import DailyResult, run_daily
from newsletter.feedback.presend import before_send


def _print(result: DailyResult) -> None:
    for line in result.warnings:
        typer.echo(f"warning: {line}", err=True)
    for r in result.imported:
        action = f"replaced {r.replaced} earlier items" if r.replaced else "new day"
        typer.echo(f"{r.date}: imported {r.items} items in {r.sections} sections ({action})")
    for day in result.kept:
        typer.echo(f"{day}: not re-imported: its issue is already sending or sent")
    if result.composed:
        typer.echo(f"{result.date}: issue composed")
    if result.rendered:
        typer.echo(f"{result.date}: issue rendered")
    if result.already_sent:
        typer.echo(f"{result.date}: already sent to {result.list_name!r}; nothing to do")


def daily(
    ctx: typer.Context,
    date: Annotated[
        dt.datetime | None,
        typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD (default: the source's day)"),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="Digest file or feed URL (default NEWSLETTER_DAILY_SOURCE)."),
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Default: NEWSLETTER_DEFAULT_LIST.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Send although the list's rates are too high.")
    ] = False,
) -> None:
    """Import the day's digest, compose, render and send it; a second run sends nothing twice."""
    rt = runtime(ctx)
    # Feedback: the rate guard, and the list's tracking configuration set.
    settings = before_send(
        rt.engine(),
        rt.settings,
        list_name=list_name,
        issue_date=date.date() if date else None,
        force=force,
    )
    with send_session(settings, concurrency=None, show_progress=not as_json) as run:
        result = run_daily(
            settings,
            engine=rt.engine(),
            transport=run.transport,
            date=date.date() if date else None,
            source=source,
            list_name=list_name,
            on_progress=run.on_progress,
            stop=run.stop,
        )
    if as_json:
        print_json(result.as_dict())
        if result.send is not None and result.send.stopped:
            raise typer.Exit(2)
        return
    _print(result)
    if result.send is not None:
        end_report(result.send, as_json=False)

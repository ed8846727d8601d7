"""`newsletter issue ...`: compose and inspect issues."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from newsletter import db
from newsletter.cli.context import runtime
from newsletter.cli.output import print_json, print_table
from newsletter.compose import compose_issue, get_issue, issue_dict, list_issues

app = typer.Typer(help="Issues: compose, show, list.", no_args_is_help=True)

DateArg = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def print_issue(data: dict[str, object]) -> None:
    """Print a composed issue for people."""
    typer.echo(f"{data['date']}  [{data['status']}]  {data['subject']}")
    typer.echo(f"preheader: {data['preheader']}")
    typer.echo("summary:")
    for line in str(data["summary"]).splitlines():
        typer.echo(f"  {line}")
    sections = data["sections"]
    assert isinstance(sections, list)
    for section in sections:
        typer.echo(f"\n## {section['name']}")
        for n, item in enumerate(section["items"], 1):
            extra = f"  ({len(item['links'])} links, {len(item['images'])} images)"
            typer.echo(f"  {n}. {item['title']}{extra}")


@app.command()
def compose(
    ctx: typer.Context,
    date: DateArg,
    subject: Annotated[str | None, typer.Option(help="Defaults to the digest's title.")] = None,
) -> None:
    """Compose (or recompose) the day's issue from the stored items."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        data = issue_dict(compose_issue(session, date=date.date(), subject=subject))
    print_issue(data)


@app.command()
def show(ctx: typer.Context, date: DateArg, as_json: JsonOpt = False) -> None:
    """Show one issue."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        data = issue_dict(get_issue(session, date.date()))
    if as_json:
        print_json(data)
    else:
        print_issue(data)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List issues, newest first."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        issues = [issue_dict(i) for i in list_issues(session)]
    if as_json:
        for i in issues:
            i.pop("sections")
        print_json(issues)
        return
    rows = [[i["date"], i["status"], i["item_count"], i["subject"]] for i in issues]
    print_table("Issues", ["date", "status", "items", "subject"], rows)

"""`newsletter lists ...`: the mailing lists."""

from __future__ import annotations

from typing import Annotated

import typer

from newsletter import db
from newsletter.audience import create_list, list_summaries
from newsletter.cli.context import runtime
from newsletter.cli.output import echo, print_json, print_table

app = typer.Typer(help="Mailing lists: create, list.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name, e.g. daily.")],
    description: Annotated[str, typer.Option(help="What the list is for.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a list (the default list is also created on first use)."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        created = create_list(session, name, description=description)
        data = {"id": created.id, "name": created.name, "description": created.description}
    if as_json:
        print_json(data)
    else:
        echo(f"created list {data['name']!r}")


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the lists with their subscription counts."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        lists = list_summaries(session)
    if as_json:
        print_json(lists)
        return
    rows = [
        [x["name"], x["active"], x["pending"], x["unsubscribed"], x["mailable"], x["description"]]
        for x in lists
    ]
    columns = ["list", "active", "pending", "unsubscribed", "mailable", "description"]
    print_table("Lists", columns=columns, rows=rows)

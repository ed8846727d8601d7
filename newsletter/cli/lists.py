"""`newsletter lists ...`: the mailing lists."""

from __future__ import annotations

from typing import Annotated

import typer

from newsletter import db
from newsletter.audience import create_list, list_summaries, remove_list, rename_list
from newsletter.cli.context import runtime
from newsletter.cli.output import echo, print_json, print_table

app = typer.Typer(help="Mailing lists: create, list, rename, remove.", no_args_is_help=True)

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


@app.command()
def rename(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="The list's name now.")],
    new: Annotated[str, typer.Argument(help="Its new name.")],
    as_json: JsonOpt = False,
) -> None:
    """Rename a list; editions sending to it follow, every subscription and event stays."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        renamed = rename_list(session, rt.settings, old=old, new=new)
        data = {"id": renamed.id, "old": old.strip(), "name": renamed.name}
    if as_json:
        print_json(data)
    else:
        echo(f"renamed list {data['old']!r} to {data['name']!r}")


@app.command()
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The list's name.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Unsubscribe its subscribers (recorded) and remove it."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a list (refused while it has subscribers, unless --force). Its history stays:
    created again, it still knows who unsubscribed."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        removed = remove_list(session, rt.settings, name=name, force=force)
    if as_json:
        print_json({"name": removed.name, "unsubscribed": removed.unsubscribed})
    elif removed.unsubscribed:
        echo(f"removed list {removed.name!r}; {removed.unsubscribed} subscriber(s) unsubscribed")
    else:
        echo(f"removed list {removed.name!r}")

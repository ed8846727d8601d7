"""`newsletter db ...`: the schema."""

from __future__ import annotations

import typer

from newsletter import db
from newsletter.cli.context import runtime

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command()
def upgrade(ctx: typer.Context) -> None:
    """Create or migrate the schema to the newest version."""
    engine = runtime(ctx).engine(check=False)
    before, after = db.upgrade(engine)
    if before == after:
        typer.echo(f"schema already at {after}")
    else:
        typer.echo(f"schema upgraded from {before or 'empty'} to {after}")


@app.command()
def status(ctx: typer.Context) -> None:
    """Show the schema revision of the database and of this version of the code."""
    engine = runtime(ctx).engine(check=False)
    typer.echo(f"database: {db.current_revision(engine) or 'empty'}; code: {db.head_revision()}")

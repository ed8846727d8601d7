"""The `newsletter` command line: parses, calls the library core, prints. It holds no logic.

Every :class:`~newsletter.errors.NewsletterError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import typer

from newsletter.cli import (
    daily,
    db,
    editions,
    issue,
    items,
    lists,
    report,
    send,
    serve,
    subscribers,
)
from newsletter.cli.context import Group, Runtime
from newsletter.settings import load_settings

app = typer.Typer(
    cls=Group,
    help="The daily digest newsletter: import, compose, render, send.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(editions.app, name="editions")
app.add_typer(items.app, name="items")
app.add_typer(issue.app, name="issue")
app.add_typer(lists.app, name="lists")
app.add_typer(subscribers.app, name="subscribers")
app.add_typer(send.app, name="send")
app.add_typer(report.app, name="report")
app.command("serve")(serve.serve)
app.command("daily")(daily.daily)


@app.callback()
def main(ctx: typer.Context) -> None:
    """Settings come from NEWSLETTER_* environment variables and an optional .env file."""
    ctx.obj = Runtime(load_settings())

"""The `newsletter` command line: parses, calls the library core, prints. It holds no logic.

Every :class:`~newsletter.errors.NewsletterError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

import typer

from newsletter.cli.context import Runtime
from newsletter.cli.lazy import LazyCommand, LazyGroup


class NewsletterGroup(LazyGroup):
    """The `newsletter` command: each subcommand's module is imported when it is used."""

    lazy: ClassVar[Mapping[str, LazyCommand]] = {
        "db": LazyCommand("newsletter.cli.db", "app", "Database schema."),
        "editions": LazyCommand(
            "newsletter.cli.editions",
            "app",
            "Editions: several newsletters (e.g. a Chinese and an English daily), each with "
            "its own digest, day, language, list and look.",
        ),
        "items": LazyCommand("newsletter.cli.items", "app", "The day's news items."),
        "issue": LazyCommand(
            "newsletter.cli.issue",
            "app",
            "Issues: compose, show, edit, list, render, lint, preview.",
        ),
        "lists": LazyCommand(
            "newsletter.cli.lists", "app", "Mailing lists: create, list, rename, remove."
        ),
        "subscribers": LazyCommand(
            "newsletter.cli.subscribers",
            "app",
            "Subscribers: add, import, export, inspect, unsubscribe.",
        ),
        "send": LazyCommand(
            "newsletter.cli.send",
            "app",
            "Send an issue, retry, show delivery status, send test copies.",
        ),
        "report": LazyCommand(
            "newsletter.cli.report",
            "app",
            "Reports: an issue's delivery and engagement, a list's health.",
        ),
        "serve": LazyCommand(
            "newsletter.cli.serve",
            "serve",
            "Run the subscriber web service (unsubscribe, subscribe, confirm, archive, SNS).",
        ),
        "daily": LazyCommand(
            "newsletter.cli.daily",
            "daily",
            "Every edition whose send time has come: import its day's digest, compose, render "
            "and send it, each on its own local date; a second run sends nothing twice.",
        ),
    }


class NewsletterApp(typer.Typer):
    """The Typer app, run as a program (the ``newsletter`` script, ``python -m newsletter``)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Pydantic looks for plugins (an entry-point scan of every installed distribution)
        # the first time it builds a validator; the command uses none, so a process started
        # as the command skips that scan unless the user set the variable (set it to "" to
        # keep plugins on). Here, not at import: importing newsletter.cli (tests, CliRunner)
        # leaves the environment alone. Child processes (send workers) inherit it.
        os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "1")
        return super().__call__(*args, **kwargs)


app = NewsletterApp(
    cls=NewsletterGroup,
    help="The daily digest newsletter: import, compose, render, send.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main(ctx: typer.Context) -> None:
    """Settings come from NEWSLETTER_* environment variables and an optional .env file."""
    # Imported here: pydantic-settings is not needed to print the help.
    from newsletter.settings import load_settings

    ctx.obj = Runtime(load_settings())

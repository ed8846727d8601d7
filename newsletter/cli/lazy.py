"""Subcommands loaded when they are used, so that `newsletter --help` starts fast.

Each command module imports the part of the core it drives (the send pipeline, boto3,
premailer, Pillow, ...): importing all of them took over a second before anything was
printed. The top-level group knows its subcommands by name (:class:`LazyCommand`) and
imports a command's module only to run it or show its own help; the top-level help lists
the summaries written here (a test checks that they match the commands' own).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand

from newsletter.cli.context import Group


@dataclass(frozen=True)
class LazyCommand:
    """A subcommand: ``module``'s ``attribute`` (a Typer app or a command function), and
    the one-line summary the top-level help shows."""

    module: str
    attribute: str
    summary: str

    def load(self, name: str) -> Any:
        """The Click command, built as ``app.add_typer`` / ``app.command`` would build it."""
        target = getattr(importlib.import_module(self.module), self.attribute)
        if not isinstance(target, typer.Typer):
            wrapper = typer.Typer()
            wrapper.command(name)(target)
            target = wrapper
        command = typer.main.get_command(target)
        command.name = name
        return command


class LazyGroup(Group):
    """:class:`Group` whose subcommands (:attr:`lazy`) are imported on first use."""

    lazy: ClassVar[Mapping[str, LazyCommand]] = {}
    _summaries_only = False

    def list_commands(self, ctx: Any) -> list[str]:
        own = [name for name in super().list_commands(ctx) if name not in self.lazy]
        return [*self.lazy, *own]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        entry = self.lazy.get(cmd_name)
        if command is not None or entry is None:
            return command
        if self._summaries_only:
            # The top-level help needs only each command's summary: nothing is imported.
            return TyperCommand(cmd_name, help=entry.summary)
        command = entry.load(cmd_name)
        self.add_command(command, cmd_name)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._summaries_only = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._summaries_only = False

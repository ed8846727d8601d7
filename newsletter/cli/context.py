"""What every command shares: the settings and a lazily made engine; error reporting."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy import Engine
from typer.core import TyperGroup

from newsletter import db
from newsletter.errors import NewsletterError
from newsletter.settings import Settings


class Group(TyperGroup):
    """Turns domain errors into one clean line on stderr and exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None


class Runtime:
    """Settings plus an engine built on first use (commands that need no database never connect)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def engine(self, *, check: bool = True) -> Engine:
        """The engine; with ``check`` it first makes sure the schema is up to date."""
        if self._engine is None:
            self._engine = db.make_engine(self.settings.database_url)
        if check:
            db.check_schema(self._engine)
        return self._engine


def runtime(ctx: typer.Context) -> Runtime:
    """The :class:`Runtime` the top-level callback stored."""
    obj = ctx.find_root().obj
    assert isinstance(obj, Runtime)
    return obj

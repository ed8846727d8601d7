"""What every command shares: the settings and a lazily made engine; error reporting."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard

import typer
from typer._click.exceptions import UsageError  # Typer 0.2x vendors Click as typer._click
from typer.core import TyperGroup

from newsletter.cli.output import echo_error, masked
from newsletter.errors import NewsletterError
from newsletter.text import collapse_whitespace

if TYPE_CHECKING:
    # Types only: SQLAlchemy and the settings are imported by the commands that use them,
    # not by every start of the command (see newsletter/cli/lazy.py).
    from sqlalchemy import Engine
    from sqlalchemy.exc import SQLAlchemyError

    from newsletter.settings import Settings

#: ``--edition SLUG`` of every command that names a day.
EditionOpt = Annotated[
    str | None,
    typer.Option("--edition", help="Edition slug (default: the default edition)."),
]


def database_error_line(exc: SQLAlchemyError) -> str:
    """One line about a database error, without SQL, parameters or row values.

    SQLAlchemy's own text carries the statement and its parameters (addresses, names) and
    PostgreSQL's DETAIL line the row's values: only the driver's first line is kept.
    """
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return "the database is busy (another command is writing to it): try again"
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    first = (str(original).strip().splitlines() or [""])[0]
    if isinstance(exc, DBAPIError):
        first = first.split(" [SQL:", 1)[0]
    else:
        first = first.split("[SQL:", 1)[0].split("(Background on this error", 1)[0].strip()
    first = masked(collapse_whitespace(first))
    return f"database error ({type(original).__name__}): {first}".rstrip(": ")


def _is_database_error(exc: BaseException) -> TypeGuard[SQLAlchemyError]:
    """Whether ``exc`` is SQLAlchemy's; without importing SQLAlchemy (a command that never
    imported it cannot have raised one of its errors)."""
    module = sys.modules.get("sqlalchemy.exc")
    return module is not None and isinstance(exc, module.SQLAlchemyError)


def _not_utf8(args: Sequence[str]) -> int | None:
    # Python decodes arguments with surrogateescape: invalid UTF-8 shows up as lone surrogates.
    for index, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return index
    return None


class Group(TyperGroup):
    """Turns domain and database errors into one clean line on stderr and exit code 2."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        if parent is None and (bad := _not_utf8(args)) is not None:
            typer.echo(f"error: argument {bad} is not valid UTF-8 text", err=True)
            raise typer.Exit(2)
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except NewsletterError as exc:
            echo_error(f"error: {exc}")
            raise typer.Exit(exc.exit_code) from None
        except UsageError as exc:
            # Click would print the offending value as it is (an address, escapes) in a panel.
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            echo_error(f"error: {exc.format_message()}{where}")
            raise typer.Exit(exc.exit_code) from None
        except Exception as exc:
            if not _is_database_error(exc):
                raise
            echo_error(f"error: {database_error_line(exc)}")
            raise typer.Exit(NewsletterError.exit_code) from None


class Runtime:
    """Settings plus an engine built on first use (commands that need no database never connect)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: Engine | None = None

    def engine(self, *, check: bool = True) -> Engine:
        """The engine; with ``check`` it first makes sure the schema is up to date."""
        from newsletter import db

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

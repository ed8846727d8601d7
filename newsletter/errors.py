"""Domain errors. Each carries a one-line message the CLI prints as it is (exit code 2)."""

from __future__ import annotations


class NewsletterError(Exception):
    """Base of every error a user can cause and fix; ``str(err)`` is one line for the user."""

    exit_code = 2


class ConfigError(NewsletterError):
    """A setting a command needs is missing or unsafe; the message names the variable."""


class InputError(NewsletterError):
    """Bad input data (a file, a row, a field); the message names the place."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = ""
        if source is not None:
            where = f"{source}:{line}: " if line is not None else f"{source}: "
        super().__init__(f"{where}{message}")


class SchemaMissingError(NewsletterError):
    """The database has no schema, or an old one."""


class NotFoundError(NewsletterError):
    """A named thing (an issue, a list, a subscriber) does not exist."""


class StateError(NewsletterError):
    """The operation does not fit the current state (e.g. recomposing a sent issue)."""

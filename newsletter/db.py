"""Database access: engines, sessions, the schema (Alembic migrations shipped in the package),
and the small SQL helpers every module shares (dialect, row counts, chunked lookups).

Nothing is built at import. :func:`make_engine` applies SQLite's WAL and busy timeout, so
that the web service, the CLI and the send workers can share one file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    CursorResult,
    Engine,
    Insert,
    Integer,
    Result,
    SQLColumnExpression,
    String,
    any_,
    bindparam,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from newsletter.errors import ConfigError, SchemaMissingError

if TYPE_CHECKING:
    # Alembic is imported by the functions that use it: every command checks the schema,
    # and Alembic's import (with its dialect modules and the migration scripts) took longer
    # than the rest of a quick command (see check_schema).
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: Values per lookup: bounds the size of one statement and of its result.
IN_CHUNK = 20000

T = TypeVar("T")


def _normalize_url(url: str) -> str:
    """Map plain ``postgresql://`` URLs to the psycopg 3 driver that we install."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """An engine for ``url`` (NEWSLETTER_DATABASE_URL); SQLite gets WAL, busy timeout, FKs."""
    try:
        parsed = make_url(_normalize_url(url))
    except ArgumentError:
        raise ConfigError(f"NEWSLETTER_DATABASE_URL is not a database URL: {url!r}") from None
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {
            "check_same_thread": False,
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
        }
    else:
        kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers (the web service) run during a send; busy_timeout waits instead of failing.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    with session_factory(engine).begin() as session:
        yield session


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (env.py uses the connection we pass)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with the package."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return script.get_current_head()


_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN = re.compile(
    r"^down_revision(?:\s*:[^=]+)?\s*=\s*(?:None|[\"']([^\"']+)[\"'])\s*$", re.MULTILINE
)


def head_revision_from_files() -> str | None:
    """:func:`head_revision` read from the migration scripts' ``revision`` and
    ``down_revision`` lines, without importing Alembic or the scripts; None when the
    scripts are not one simple chain (a merge, a branch): ask :func:`head_revision` then.
    A test checks that both agree."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text("utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision[1])
        if down[1]:
            downs.add(down[1])
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def _stamped_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version`` (what Alembic's migration context reads), or
    None when the table is missing or empty."""
    from sqlalchemy import inspect, text

    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            versions = list(rows)
    except OperationalError as exc:
        raise ConfigError(f"NEWSLETTER_DATABASE_URL: cannot connect: {exc.orig}") from None
    return versions[0] if len(versions) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise ConfigError(f"NEWSLETTER_DATABASE_URL: cannot connect: {exc.orig}") from None


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Migrate to the newest schema; returns (revision before, revision after)."""
    before = current_revision(engine)
    from alembic import command

    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaMissingError` unless the database is at the newest revision.

    Every command runs this: the quick path reads the stamp and the scripts' revision lines
    without Alembic; anything unusual (no single stamp, not one chain) asks Alembic.
    """
    head = head_revision_from_files()
    current = _stamped_revision(engine) if head is not None else None
    if current is None or current != head:
        current, head = current_revision(engine), head_revision()
    if current is None:
        raise SchemaMissingError("the database has no schema: run `newsletter db upgrade`")
    if current != head:
        raise SchemaMissingError(
            f"the database schema is at {current}, not {head}: run `newsletter db upgrade`"
        )


# --- small SQL helpers -------------------------------------------------------------------------


def dialect_name(session: Session) -> str:
    """The dialect of the session's database: ``"sqlite"`` or ``"postgresql"``."""
    return session.get_bind().dialect.name


def insert_skipping_duplicates(table: Any, *, dialect: str, keys: Sequence[str]) -> Insert:
    """``INSERT INTO table ... ON CONFLICT (keys) DO NOTHING`` for the engine's ``dialect``.

    Rows whose ``keys`` are there already (a unique index over them) are skipped, by the
    index itself: no ``NOT EXISTS`` for the planner to get wrong.
    """
    # The dialect modules are imported here, not with this module: every command imports it.
    from sqlalchemy.dialects import postgresql, sqlite

    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(keys))
    raise ConfigError(f"unsupported database {dialect!r}")  # pragma: no cover


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE/DELETE (executed through a Session or a Connection)."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def one_of(dialect: str, column: SQLColumnExpression[Any], values: Sequence[str | int]) -> Any:
    """``column IN values`` with ONE bound parameter, whatever the number of values.

    An ``IN (...)`` list with thousands of placeholders costs more to compile and convert
    than the query takes to run; an array (PostgreSQL) or a JSON list (SQLite) does not.
    """
    item_type = Integer() if values and isinstance(values[0], int) else String()
    if dialect == "postgresql":
        # Imported here: the PostgreSQL dialect is loaded only by commands on PostgreSQL.
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(values), type_=ARRAY(item_type)))
    if dialect == "sqlite":
        each = func.json_each(json.dumps(list(values))).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(list(values))

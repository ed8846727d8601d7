"""Alembic environment: runs migrations on the engine handed over in ``config.attributes``.

On SQLite, batch migrations copy a table and drop the old one; with foreign keys on, that
drop would cascade to (delete) every row referring to it. So foreign keys are off while the
migrations run (the pragma only works outside a transaction), checked before the commit,
and on again afterwards.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from newsletter.models import Base

config = context.config
engine: Engine = config.attributes["engine"]


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left rows with broken references: {broken[:5]}")


if engine.dialect.name == "sqlite":
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                _run(connection)
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
else:
    with engine.begin() as connection:
        _run(connection)

"""editions: several newsletters, each with its own digests, items and issues

Revision ID: 0006
Revises: 0005

Every existing digest, item and issue goes into the default edition (slug ``default``),
whose settings all come from ``NEWSLETTER_*`` (every column of it is NULL), so a
one-edition installation sends exactly what it sent before. Digests are keyed by
(edition, day), items hang off that key, an issue is unique per (edition, day).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

DEFAULT_ID = 1


def upgrade() -> None:
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.Column("list_name", sa.String(length=100), nullable=True),
        sa.Column("sender", sa.String(length=320), nullable=True),
        sa.Column("reply_to", sa.String(length=320), nullable=True),
        sa.Column("brand_color", sa.String(length=20), nullable=True),
        sa.Column("accent_color", sa.String(length=20), nullable=True),
        sa.Column("logo_url", sa.String(length=1000), nullable=True),
        sa.Column("postal_address", sa.String(length=500), nullable=True),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("send_at", sa.String(length=5), nullable=True),
        sa.Column("drop_sections", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editions")),
        sa.UniqueConstraint("slug", name=op.f("uq_editions_slug")),
    )
    editions = sa.table(
        "editions",
        sa.column("id", sa.Integer()),
        sa.column("slug", sa.String()),
        sa.column("is_default", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        editions,
        [
            {
                "id": DEFAULT_ID,
                "slug": "default",
                "is_default": True,
                "created_at": dt.datetime.now(dt.UTC),
            }
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        # The explicit id above does not move the sequence.
        op.execute("SELECT setval(pg_get_serial_sequence('editions', 'id'), 1)")

    # Items first: they must stop referring to digests(date) before digests changes its key.
    # (On SQLite these are table copies; env.py turns foreign keys off for the migration, so
    # dropping the old tables cascades nothing.)
    with op.batch_alter_table("items") as batch:
        batch.add_column(
            sa.Column("edition_id", sa.Integer(), nullable=False, server_default=str(DEFAULT_ID))
        )
        batch.drop_constraint("fk_items_date_digests", type_="foreignkey")
        batch.drop_constraint("uq_items_date", type_="unique")
    with op.batch_alter_table("digests") as batch:
        batch.add_column(
            sa.Column("edition_id", sa.Integer(), nullable=False, server_default=str(DEFAULT_ID))
        )
        batch.drop_constraint("pk_digests", type_="primary")
        batch.create_primary_key("pk_digests", ["edition_id", "date"])
        batch.create_foreign_key(
            "fk_digests_edition_id_editions",
            "editions",
            ["edition_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("items") as batch:
        batch.alter_column("edition_id", server_default=None)
        batch.create_unique_constraint(
            "uq_items_edition_id", ["edition_id", "date", "section_position", "position"]
        )
        batch.create_foreign_key(
            "fk_items_edition_id_digests",
            "digests",
            ["edition_id", "date"],
            ["edition_id", "date"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("digests") as batch:
        batch.alter_column("edition_id", server_default=None)
    with op.batch_alter_table("issues") as batch:
        batch.add_column(
            sa.Column("edition_id", sa.Integer(), nullable=False, server_default=str(DEFAULT_ID))
        )
        batch.drop_constraint("uq_issues_date", type_="unique")
        batch.create_unique_constraint("uq_issues_edition_id", ["edition_id", "date"])
        batch.create_foreign_key(
            "fk_issues_edition_id_editions",
            "editions",
            ["edition_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index("ix_issues_date", ["date"], unique=False)
    with op.batch_alter_table("issues") as batch:
        batch.alter_column("edition_id", server_default=None)


def downgrade() -> None:
    # Only the default edition's rows fit the old schema: the others are deleted.
    op.execute(f"DELETE FROM items WHERE edition_id <> {DEFAULT_ID}")  # noqa: S608 (constants)
    op.execute(f"DELETE FROM digests WHERE edition_id <> {DEFAULT_ID}")  # noqa: S608 (constants)
    op.execute(f"DELETE FROM issues WHERE edition_id <> {DEFAULT_ID}")  # noqa: S608 (constants)
    with op.batch_alter_table("issues") as batch:
        batch.drop_index("ix_issues_date")
        batch.drop_constraint("fk_issues_edition_id_editions", type_="foreignkey")
        batch.drop_constraint("uq_issues_edition_id", type_="unique")
        batch.create_unique_constraint("uq_issues_date", ["date"])
        batch.drop_column("edition_id")
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint("fk_items_edition_id_digests", type_="foreignkey")
        batch.drop_constraint("uq_items_edition_id", type_="unique")
        batch.create_unique_constraint("uq_items_date", ["date", "section_position", "position"])
        batch.drop_column("edition_id")
    with op.batch_alter_table("digests") as batch:
        batch.drop_constraint("fk_digests_edition_id_editions", type_="foreignkey")
        batch.drop_constraint("pk_digests", type_="primary")
        batch.create_primary_key("pk_digests", ["date"])
        batch.drop_column("edition_id")
    with op.batch_alter_table("items") as batch:
        batch.create_foreign_key(
            "fk_items_date_digests", "digests", ["date"], ["date"], ondelete="CASCADE"
        )
    op.drop_table("editions")

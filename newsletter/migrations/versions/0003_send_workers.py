"""send workers: slices, workers and rate shares; uncertain as a column; message id index

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("uncertain", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_deliveries_message_id", ["message_id"], unique=False)
    # Rows the earlier code marked uncertain by a prefix of their error text.
    op.execute(
        sa.text("UPDATE deliveries SET uncertain = :yes WHERE error LIKE 'uncertain%'").bindparams(
            yes=True
        )
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.alter_column("uncertain", server_default=None)
    with op.batch_alter_table("send_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rate", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("quota_left", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "uncertain_policy", sa.String(length=10), nullable=False, server_default="resend"
            )
        )
        batch_op.add_column(
            sa.Column("mode", sa.String(length=10), nullable=False, server_default="send")
        )
    with op.batch_alter_table("send_runs", schema=None) as batch_op:
        batch_op.alter_column("uncertain_policy", server_default=None)
        batch_op.alter_column("mode", server_default=None)
    op.create_table(
        "send_workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("share", sa.Double(), nullable=True),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("deferred", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("stop_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["send_runs.id"],
            name=op.f("fk_send_workers_run_id_send_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_workers")),
    )
    with op.batch_alter_table("send_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_send_workers_run_id"), ["run_id"], unique=False)
    op.create_table(
        "send_slices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("first_subscriber_id", sa.Integer(), nullable=False),
        sa.Column("last_subscriber_id", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("open", "taken", "done", name="slicestate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["send_runs.id"],
            name=op.f("fk_send_slices_run_id_send_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_send_slices")),
    )
    with op.batch_alter_table("send_slices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_send_slices_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("send_slices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_slices_run_id"))
    op.drop_table("send_slices")
    with op.batch_alter_table("send_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_send_workers_run_id"))
    op.drop_table("send_workers")
    with op.batch_alter_table("send_runs", schema=None) as batch_op:
        batch_op.drop_column("mode")
        batch_op.drop_column("uncertain_policy")
        batch_op.drop_column("quota_left")
        batch_op.drop_column("rate")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_message_id")
        batch_op.drop_column("uncertain")

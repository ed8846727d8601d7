"""delivery events, list tracking, guard overrides

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:56:06.721990
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "guard_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_guard_overrides_issue_id_issues"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["lists.id"],
            name=op.f("fk_guard_overrides_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guard_overrides")),
    )
    op.create_table(
        "list_tracking",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["lists.id"],
            name=op.f("fk_list_tracking_list_id_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_list_tracking")),
    )
    op.create_table(
        "delivery_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "send",
                "delivery",
                "bounce",
                "complaint",
                "reject",
                "delivery_delay",
                "rendering_failure",
                "open",
                "click",
                "subscription",
                name="deliveryeventtype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("bounce_type", sa.String(length=20), nullable=False),
        sa.Column("bounce_subtype", sa.String(length=40), nullable=False),
        sa.Column("diagnostic", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("link_tag", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.id"],
            name=op.f("fk_delivery_events_delivery_id_deliveries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_delivery_events_event_key")),
    )
    with op.batch_alter_table("delivery_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_events_delivery_type", ["delivery_id", "type"], unique=False
        )
        batch_op.create_index("ix_delivery_events_message_id", ["message_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_events", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_events_message_id")
        batch_op.drop_index("ix_delivery_events_delivery_type")

    op.drop_table("delivery_events")
    op.drop_table("list_tracking")
    op.drop_table("guard_overrides")

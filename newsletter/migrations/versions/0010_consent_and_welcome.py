"""consent and welcome: a subscriber's own tracking choice, an edition's welcome email

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscribers", sa.Column("tracking", sa.Boolean(), nullable=True))
    op.add_column("editions", sa.Column("welcome", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("editions", "welcome")
    op.drop_column("subscribers", "tracking")

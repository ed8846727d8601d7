"""run rate clock: the run's next free send slot, shared by its workers

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table copy: see 0002); NULL for every run (no slot handed out yet).
    op.add_column("send_runs", sa.Column("rate_next", sa.Double(), nullable=True))


def downgrade() -> None:
    op.drop_column("send_runs", "rate_next")

"""issue freshness: the digest version an issue was made from, the editor's choices, and
what its rendering was made from

Revision ID: 0007
Revises: 0006

An issue whose subject differs from its digest's title had it set by an editor: it is kept
as the editor's subject, so that a recompose after a re-import does not drop it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: no table copies (see 0002), the defaults fill the existing rows.
    op.add_column(
        "digests",
        sa.Column("content_hash", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "issues", sa.Column("digest_hash", sa.String(length=64), nullable=False, server_default="")
    )
    op.add_column("issues", sa.Column("edits", sa.JSON(), nullable=False, server_default="{}"))
    op.add_column("issues", sa.Column("rendered_inputs", sa.JSON(), nullable=True))
    conn = op.get_bind()
    meta = sa.MetaData()
    issues = sa.Table("issues", meta, autoload_with=conn)
    digests = sa.Table("digests", meta, autoload_with=conn)
    rows = conn.execute(
        sa.select(issues.c.id, issues.c.subject, digests.c.title).join(
            digests,
            sa.and_(digests.c.edition_id == issues.c.edition_id, digests.c.date == issues.c.date),
        )
    ).all()
    for issue_id, subject, title in rows:
        if subject.strip() != " ".join(title.split()):
            conn.execute(
                issues.update().where(issues.c.id == issue_id).values(edits={"subject": subject})
            )


def downgrade() -> None:
    op.drop_column("issues", "rendered_inputs")
    op.drop_column("issues", "edits")
    op.drop_column("issues", "digest_hash")
    op.drop_column("digests", "content_hash")

"""digest structure: headline, tagline and sections of blocks

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:10:00

Digests and issues keep the whole digest: headline and tagline, and sections whose blocks
are items and text blocks in order. Items get the source's own number. Existing rows are
converted: a digest's sections are rebuilt from its items, an issue's sections of
``{"name", "items"}`` become ``{"heading", "depth", "url", "blocks"}``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _new_sections(old: list[Any]) -> list[Any]:
    out = []
    for section in old or []:
        if "blocks" in section:
            out.append(section)
            continue
        blocks = [
            {"kind": "item", "number": n, **item}
            for n, item in enumerate(section.get("items") or [], 1)
        ]
        out.append({"heading": section.get("name", ""), "depth": 0, "url": None, "blocks": blocks})
    return out


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN, also on SQLite: a batch copy of ``digests`` would drop the
    # old table, and its ON DELETE CASCADE would take every item with it. The server
    # defaults fill the existing rows.
    op.add_column(
        "digests", sa.Column("headline", sa.String(length=500), nullable=False, server_default="")
    )
    op.add_column("digests", sa.Column("tagline", sa.Text(), nullable=False, server_default=""))
    op.add_column("digests", sa.Column("sections", sa.JSON(), nullable=False, server_default="[]"))
    op.add_column(
        "issues", sa.Column("headline", sa.String(length=500), nullable=False, server_default="")
    )
    op.add_column("issues", sa.Column("tagline", sa.Text(), nullable=False, server_default=""))
    op.add_column("items", sa.Column("number", sa.Integer(), nullable=True))

    conn = op.get_bind()
    meta = sa.MetaData()
    items = sa.Table("items", meta, autoload_with=conn)
    digests = sa.Table("digests", meta, autoload_with=conn)
    issues = sa.Table("issues", meta, autoload_with=conn)
    conn.execute(items.update().values(number=items.c.position))
    rows = conn.execute(
        sa.select(items).order_by(items.c.date, items.c.section_position, items.c.position)
    ).mappings()
    by_day: dict[Any, list[Any]] = {}
    for row in rows:
        sections = by_day.setdefault(row["date"], [])
        if not sections or sections[-1]["_pos"] != row["section_position"]:
            sections.append({"_pos": row["section_position"], "name": row["section"], "items": []})
        sections[-1]["items"].append(
            {k: row[k] for k in ("title", "body", "links", "images", "source")}
        )
    for day, sections in by_day.items():
        for s in sections:
            s.pop("_pos")
        conn.execute(
            digests.update().where(digests.c.date == day).values(sections=_new_sections(sections))
        )
    for row in conn.execute(sa.select(issues.c.id, issues.c.sections)).mappings().all():
        conn.execute(
            issues.update()
            .where(issues.c.id == row["id"])
            .values(sections=_new_sections(row["sections"]))
        )


def downgrade() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    issues = sa.Table("issues", meta, autoload_with=conn)
    for row in conn.execute(sa.select(issues.c.id, issues.c.sections)).mappings().all():
        old = [
            {
                "name": s.get("heading", ""),
                "items": [
                    {k: b.get(k) for k in ("title", "body", "links", "images", "source")}
                    for b in s.get("blocks") or []
                    if b.get("kind") == "item"
                ],
            }
            for s in row["sections"] or []
        ]
        conn.execute(
            issues.update()
            .where(issues.c.id == row["id"])
            .values(sections=[s for s in old if s["items"]])
        )
    # ALTER TABLE DROP COLUMN (SQLite 3.35+), not a batch copy: see upgrade().
    op.drop_column("items", "number")
    op.drop_column("issues", "tagline")
    op.drop_column("issues", "headline")
    op.drop_column("digests", "sections")
    op.drop_column("digests", "tagline")
    op.drop_column("digests", "headline")

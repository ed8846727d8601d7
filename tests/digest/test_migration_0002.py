"""Migration 0002 on both databases: digests and issues imported before it keep their content."""

from __future__ import annotations

import datetime as dt
import json

from alembic import command
from sqlalchemy import Engine, text

from newsletter import db
from newsletter.compose import compose_issue
from newsletter.items import find_digest
from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.settings import Settings

OLD_ITEM = {
    "title": "旧条目",
    "body": "**旧条目**正文 [链接](https://example.org/a)",
    "links": [{"text": "l", "url": "https://example.org/l"}],
    "images": [],
    "source": "example.org",
}


def test_old_rows_are_converted(engine: Engine, settings: Settings) -> None:
    cfg = db.alembic_config(engine)
    command.downgrade(cfg, "0001")
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO digests (date, title, summary, source, imported_at) "
                    "VALUES (:d, 'T 2025-08-01', 'S。', 'x.md', :now)"
                ),
                {"d": dt.date(2025, 8, 1), "now": dt.datetime.now(dt.UTC)},
            )
            for pos in (1, 2):
                conn.execute(
                    text(
                        "INSERT INTO items (date, section, section_position, position, title, "
                        "body, links, images, source) VALUES (:d, 'Sec', 1, :p, :t, :b, :l, "
                        "'[]', 'example.org')"
                    ),
                    {
                        "d": dt.date(2025, 8, 1),
                        "p": pos,
                        "t": OLD_ITEM["title"],
                        "b": OLD_ITEM["body"],
                        "l": json.dumps(OLD_ITEM["links"]),
                    },
                )
            conn.execute(
                text(
                    "INSERT INTO issues (date, subject, summary, preheader, sections, status, "
                    "composed_at) VALUES (:d, 'T', '', '', :s, 'draft', :now)"
                ),
                {
                    "d": dt.date(2025, 8, 1),
                    "s": json.dumps([{"name": "Sec", "items": [OLD_ITEM]}]),
                    "now": dt.datetime.now(dt.UTC),
                },
            )
    finally:
        command.upgrade(cfg, "head")
    with db.transaction(engine) as session:
        record = find_digest(session, dt.date(2025, 8, 1))
        assert record is not None
        assert [s["heading"] for s in record.sections] == ["Sec"]
        assert [(b["kind"], b["number"]) for b in record.sections[0]["blocks"]] == [
            ("item", 1),
            ("item", 2),
        ]
        assert [i.number for i in record.items] == [1, 2]
        issue = session.query(Issue).one()
        assert issue.sections == [
            {
                "heading": "Sec",
                "depth": 0,
                "url": None,
                "blocks": [{"kind": "item", "number": 1, **OLD_ITEM}],
            }
        ]
        assert issue.headline == ""
        assert issue.tagline == ""
        assert "旧条目" in render_issue(issue, settings).text
        recomposed = compose_issue(session, date=dt.date(2025, 8, 1))
        assert len(recomposed.sections[0]["blocks"]) == 2

"""Migration 0006 on both databases: data of the schema before editions goes into the default
edition whole (digests, items, issues and everything that refers to them)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import Engine, func, select, text

from newsletter import db
from newsletter.compose import get_issue
from newsletter.items import find_digest, list_items
from newsletter.models import Delivery, DigestRecord, Edition, Issue, Item, SubscriberEvent
from newsletter.settings import Settings
from tests.support.factories import add_person, publish_sample
from tests.support.feedback import add_delivery
from tests.support.paths import SAMPLE, SAMPLE_2026, SAMPLE_DATE


def _counts(engine: Engine) -> dict[str, int]:
    with db.transaction(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (DigestRecord, Item, Issue, Delivery, SubscriberEvent)
        }


def test_rows_before_editions_are_the_default_editions(engine: Engine, settings: Settings) -> None:
    issue = publish_sample(engine, settings, SAMPLE)
    publish_sample(engine, settings, SAMPLE_2026, sent=False)
    person = add_person(engine, "reader@example.com")
    add_delivery(engine, person, issue.id, message_id="m-1")
    with db.transaction(engine) as session:
        rendered = get_issue(session, SAMPLE_DATE).rendered_html
        titles = [i.title for i in list_items(session, date=SAMPLE_DATE)]
    before = _counts(engine)
    assert before["items"] > 10

    cfg = db.alembic_config(engine)
    command.downgrade(cfg, "0005")  # the data as the schema before editions holds it
    with engine.connect() as conn:
        columns = conn.execute(text("SELECT * FROM issues")).keys()
        assert "edition_id" not in columns
    command.upgrade(cfg, "head")

    assert _counts(engine) == before  # nothing lost, nothing cascaded away
    with db.transaction(engine) as session:
        editions = session.scalars(select(Edition)).all()
        assert [(e.slug, e.is_default) for e in editions] == [("default", True)]
        default_id = editions[0].id
        assert set(session.scalars(select(Issue.edition_id))) == {default_id}
        assert set(session.scalars(select(Item.edition_id))) == {default_id}
        again = get_issue(session, SAMPLE_DATE)
        assert again.rendered_html == rendered
        assert again.edition.slug == "default"
        assert [i.title for i in list_items(session, date=SAMPLE_DATE)] == titles
        assert find_digest(session, SAMPLE_DATE) is not None
        delivery = session.scalar(select(Delivery))
        assert delivery is not None
        assert (delivery.issue_id, delivery.message_id) == (issue.id, "m-1")


def test_the_models_and_a_fresh_database_agree_on_the_default_edition(engine: Engine) -> None:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT slug, is_default FROM editions")).all()
    # The test databases start empty (the template's rows are truncated on PostgreSQL), and
    # the default edition is made on first use: at most the migration's one row is there.
    assert [tuple(r) for r in rows] in ([], [("default", True)])

"""`is_mailable` and the send pipeline share one definition of who may be mailed."""

from __future__ import annotations

from sqlalchemy import Engine, select

from newsletter.audience import (
    add_subscriber,
    find_subscriber,
    is_mailable,
    list_summaries,
    subscriber_stats,
)
from newsletter.db import transaction
from newsletter.models import Subscriber, Suppression


def test_a_suppressed_hash_is_not_mailable_even_with_an_active_subscription(
    engine: Engine,
) -> None:
    with transaction(engine) as session:
        result = add_subscriber(
            session, email="reader@example.com", list_name="daily", confirmed=True
        )
        assert result.subscriber is not None
        assert result.subscription is not None
        ids = {"subscriber_id": result.subscriber.id, "list_id": result.subscription.list_id}
        assert is_mailable(session, **ids)
        session.add(Suppression(email_hash=result.subscriber.email_hash, reason="bounced"))
        session.flush()
        assert not is_mailable(session, **ids)
        assert not is_mailable(
            session, subscriber_id=result.subscriber.id, list_id=ids["list_id"] + 1
        )


def test_lists_and_stats_count_mailable_people_with_the_sends_rule(engine: Engine) -> None:
    with transaction(engine) as session:
        for address in ("a@example.com", "b@example.com", "c@example.com"):
            add_subscriber(session, email=address, list_name="daily", confirmed=True)
        add_subscriber(session, email="d@example.com", list_name="daily")  # pending
        suppressed = find_subscriber(session, "b@example.com")
        assert suppressed is not None
        # A suppression on its own (e.g. kept from an erasure elsewhere) is enough.
        session.add(Suppression(email_hash=suppressed.email_hash, reason="complained"))
    with transaction(engine) as session:
        (daily,) = list_summaries(session)
        stats = subscriber_stats(session, list_name="daily")
        daily_id = daily["id"]
        by_rule = [
            is_mailable(session, subscriber_id=p.id, list_id=daily_id)
            for p in session.scalars(select(Subscriber))
        ]
    assert sum(by_rule) == 2
    assert (daily["active"], daily["mailable"]) == (3, 2)
    assert stats["mailable"] == 2

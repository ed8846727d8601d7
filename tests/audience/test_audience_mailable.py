"""`is_mailable` and the send pipeline share one definition of who may be mailed."""

from __future__ import annotations

from sqlalchemy import Engine

from newsletter.audience import add_subscriber, is_mailable
from newsletter.db import transaction
from newsletter.models import Suppression


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

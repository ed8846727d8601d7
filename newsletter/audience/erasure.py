"""Erasure on request: personal data removed, a hash kept so the address stays suppressed."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from newsletter.audience.history import add_event, suppress
from newsletter.audience.sqlutil import expire_loaded
from newsletter.audience.subscribe import find_subscriber
from newsletter.audience.unsubscribe import unsubscribe
from newsletter.errors import NotFoundError
from newsletter.models import Delivery, EventKind, SubscriberEvent, SubscriberStatus


def erase_subscriber(session: Session, *, email: str, method: str = "operator") -> bool:
    """Erase the person with ``email``: False if already erased, NotFoundError if unknown.

    The address, name, language and attributes are removed; every subscription ends
    (``unsubscribed`` events); the free-text details of the person's events and delivery
    errors (which can quote the address) are blanked. The rows themselves stay: history is
    never deleted, and the address hash stays suppressed, so the address cannot be imported
    or added again.
    """
    subscriber = find_subscriber(session, email)
    if subscriber is None:
        raise NotFoundError("no subscriber with that address")
    if subscriber.status is SubscriberStatus.ERASED:
        return False
    session.execute(
        update(SubscriberEvent)
        .where(SubscriberEvent.subscriber_id == subscriber.id)
        .values(detail="")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Delivery)
        .where(Delivery.subscriber_id == subscriber.id)
        .values(error="")
        .execution_options(synchronize_session=False)
    )
    mine = subscriber.id
    expire_loaded(session, SubscriberEvent, ["detail"], lambda e: e.subscriber_id == mine)
    expire_loaded(session, Delivery, ["error"], lambda d: d.subscriber_id == mine)
    unsubscribe(
        session,
        subscriber_id=subscriber.id,
        list_id=None,
        method="operator",
        detail="erasure",
    )
    subscriber.email = None
    subscriber.name = ""
    subscriber.language = ""
    subscriber.attributes = {}
    subscriber.status = SubscriberStatus.ERASED
    add_event(session, subscriber_id=subscriber.id, kind=EventKind.ERASED, method=method)
    suppress(session, address_hash=subscriber.email_hash, reason="erased")
    session.flush()
    return True

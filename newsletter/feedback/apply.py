"""Applying SES events: each recorded once in ``delivery_events``, bounces and complaints acted on.

:func:`apply_event` is the one place an SES event changes the database, whichever path
brought it (the HTTP endpoint or the SNS Lambda, both through :func:`receive_notification`):

1. the event is inserted under its key (:mod:`newsletter.feedback.events`); a key already
   there means a replay, and nothing else happens;
2. it is attached to the delivery whose ``message_id`` it names; an event for a message id
   no delivery carries is kept all the same (``delivery_id`` NULL), logged and reported
   (should the delivery record that id later, the reads join them by message id:
   :func:`newsletter.feedback.rates.event_of_delivery`; nothing is repaired);
3. a bounce or a complaint then acts on the addresses it names
   (:mod:`newsletter.feedback.suppression`): a permanent bounce makes the address
   ``bounced``; soft bounces are counted up to ``soft_limit``; a complaint unsubscribes the
   address from every list, recording the issue the complained-about mail belonged to.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from newsletter.audience.addresses import mask_email
from newsletter.db import insert_skipping_duplicates, transaction
from newsletter.errors import InputError
from newsletter.feedback.events import SesEvent, UnrecordedEventError, parse_event
from newsletter.feedback.sns import SnsMessage
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import Delivery, DeliveryEvent, DeliveryEventType, DeliveryState

log = logging.getLogger(__name__)

IGNORED = "ignored"


@dataclass(frozen=True)
class FeedbackResult:
    """What one notification did.

    ``kind``: the event type, or ``ignored`` (not an SES event we record); ``recorded``: a new
    row in ``delivery_events`` (False for a replay); ``unknown``: no delivery carries the
    event's message id; ``recipients`` named, ``changed`` subscribers whose state changed.
    """

    kind: str
    recipients: int = 0
    changed: int = 0
    recorded: bool = False
    unknown: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (the HTTP endpoint's answer)."""
        return {
            "kind": self.kind,
            "recipients": self.recipients,
            "changed": self.changed,
            "recorded": self.recorded,
            "unknown": self.unknown,
        }


@functools.cache
def _insert(dialect: str) -> ReturningInsert[tuple[int]]:
    """INSERT ... ON CONFLICT (event_key) DO NOTHING RETURNING id, built once per dialect."""
    table = DeliveryEvent.metadata.tables[DeliveryEvent.__tablename__]
    stmt = insert_skipping_duplicates(table, dialect=dialect, keys=("event_key",))
    return stmt.returning(table.c.id)


def _record(session: Session, event: SesEvent, delivery_id: int | None) -> bool:
    """Insert the event unless its key is there; True when inserted."""
    connection = session.connection()
    result = connection.execute(
        _insert(connection.dialect.name),
        {
            "event_key": event.key,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "received_at": dt.datetime.now(dt.UTC),
            "message_id": event.message_id,
            "delivery_id": delivery_id,
            "bounce_type": event.bounce_type,
            "bounce_subtype": event.bounce_subtype,
            "diagnostic": event.diagnostic,
            "link": event.link,
            "link_tag": event.link_tag,
        },
    )
    return result.scalar() is not None


def apply_event(session: Session, event: SesEvent, *, soft_limit: int) -> FeedbackResult:
    """Record ``event`` once and act on it (see the module docstring), in ``session``."""
    found = session.execute(
        select(Delivery.id, Delivery.issue_id).where(Delivery.message_id == event.message_id)
    ).first()
    if found is None and event.delivery_tag is not None:
        found = _reconcile(session, event)
    delivery_id, issue_id = (found[0], found[1]) if found is not None else (None, None)
    kind = event.type.value
    recipients = len(event.recipients)
    if not _record(session, event, delivery_id):
        return FeedbackResult(kind, recipients, recorded=False, unknown=found is None)
    if found is None:
        log.warning(
            "SES %s event for message id %s, which no delivery carries: kept",
            kind,
            event.message_id,
        )
    changed = 0
    if event.type is DeliveryEventType.BOUNCE:
        for recipient in event.recipients:
            detail = f"{event.bounce_type}/{event.bounce_subtype} {recipient.diagnostic}"
            if record_bounce(
                session,
                email=recipient.email,
                permanent=event.permanent,
                detail=detail[:500],
                soft_limit=soft_limit,
            ):
                changed += 1
            log.info("bounce (%s) for %s", event.bounce_type, mask_email(recipient.email))
    elif event.type is DeliveryEventType.COMPLAINT:
        for recipient in event.recipients:
            detail = f"complaint ({event.diagnostic or 'abuse'})"
            if record_complaint(session, email=recipient.email, detail=detail, issue_id=issue_id):
                changed += 1
            log.info("complaint for %s", mask_email(recipient.email))
    return FeedbackResult(kind, recipients, changed, recorded=True, unknown=found is None)


#: Events that show SES accepted the message (every one but a Reject follows acceptance).
_ACCEPTED = frozenset(
    {
        DeliveryEventType.SEND,
        DeliveryEventType.DELIVERY,
        DeliveryEventType.BOUNCE,
        DeliveryEventType.COMPLAINT,
        DeliveryEventType.DELIVERY_DELAY,
        DeliveryEventType.OPEN,
        DeliveryEventType.CLICK,
    }
)
#: The note on a ledger row an SES event settled.
SETTLED_BY_EVENT = "uncertain, settled as sent by an SES {kind} event"


def _reconcile(session: Session, event: SesEvent) -> Any:
    """The row an event names by its ``delivery`` tag, settled as sent when the ledger did
    not know SES took it (a crash between the call and its record): the next run then does
    not send it again. Returns ``(id, issue_id)`` of the row, or None."""
    row = session.execute(
        select(Delivery.id, Delivery.issue_id, Delivery.state, Delivery.message_id).where(
            Delivery.id == event.delivery_tag
        )
    ).first()
    if row is None:
        return None
    if event.type in _ACCEPTED and row.message_id is None:
        # Only a row whose send is unknown: in flight or left by a crash (sending), or put
        # back for a resend that has not happened yet (queued and marked uncertain).
        unknown = (Delivery.state == DeliveryState.SENDING) | (
            (Delivery.state == DeliveryState.QUEUED) & Delivery.uncertain.is_(True)
        )
        session.execute(
            update(Delivery)
            .where(Delivery.id == row.id, Delivery.message_id.is_(None), unknown)
            .values(
                state=DeliveryState.SENT,
                message_id=event.message_id,
                sent_at=event.occurred_at,
                uncertain=True,
                error=SETTLED_BY_EVENT.format(kind=event.type.value),
                updated_at=dt.datetime.now(dt.UTC),
            )
            .execution_options(synchronize_session=False)
        )
    return row.id, row.issue_id


def apply_notification(
    session: Session, *, message: str | Mapping[str, Any], soft_limit: int
) -> FeedbackResult:
    """Parse the SES notification ``message`` (JSON text or parsed) and apply it.

    An SES event type we do not record gives ``FeedbackResult("ignored")``; a message that
    is not an SES event raises :class:`~newsletter.errors.InputError`.
    """
    try:
        event = parse_event(message)
    except UnrecordedEventError as exc:
        log.info("SES notification ignored: %s", exc)
        return FeedbackResult(IGNORED)
    return apply_event(session, event, soft_limit=soft_limit)


def receive_notification(engine: Engine, message: SnsMessage, *, soft_limit: int) -> FeedbackResult:
    """Apply a verified SNS notification in a transaction of its own: the one entry point of
    the HTTP endpoint and the SNS Lambda. A message SES would never send is logged and
    answered ``ignored`` (retrying it could not help)."""
    try:
        with transaction(engine) as session:
            return apply_notification(session, message=message.message, soft_limit=soft_limit)
    except InputError as exc:
        log.warning("SNS notification %s ignored: %s", message.message_id, exc)
        return FeedbackResult(IGNORED)

"""SES bounce and complaint notifications (the ``Message`` of a verified SNS notification).

Both SES formats are understood: identity notifications (``notificationType``) and
configuration-set event publishing (``eventType``). Effects, through ``newsletter.audience``:

- a permanent bounce makes the address ``bounced`` (no more mail of any kind);
- a transient (or undetermined) bounce is counted, and after ``soft_limit`` in a row the
  address is bounced;
- a complaint makes the address ``complained`` and unsubscribes it from every list, recording
  the issue the complaint was about when the message id is in the deliveries ledger.

Replays are harmless: hard bounces and complaints are idempotent in the audience module, and
a soft bounce already recorded under the same SES feedback id is not counted again.
Deliveries, opens and other event types are ignored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.audience.addresses import mask_email
from newsletter.audience.feedback import record_bounce, record_complaint
from newsletter.audience.subscribe import find_subscriber
from newsletter.errors import InputError
from newsletter.models import Delivery, EventKind, SubscriberEvent

log = logging.getLogger(__name__)

PERMANENT = "Permanent"
DETAIL_MAX = 500


@dataclass(frozen=True)
class FeedbackResult:
    """What one notification did: its kind, how many recipients, how many changed state."""

    kind: str
    recipients: int = 0
    changed: int = 0


def _event_type(note: Mapping[str, Any]) -> str:
    kind = note.get("notificationType") or note.get("eventType") or ""
    return str(kind)


def _issue_id(session: Session, note: Mapping[str, Any]) -> int | None:
    # The SES message id of the complained-about mail, looked up in the deliveries ledger.
    mail = note.get("mail")
    message_id = mail.get("messageId") if isinstance(mail, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        return None
    return session.scalar(
        select(Delivery.issue_id).where(Delivery.message_id == message_id).limit(1)
    )


def _addresses(recipients: object) -> list[tuple[str, str]]:
    """(address, diagnostic) pairs of a bouncedRecipients / complainedRecipients list."""
    out: list[tuple[str, str]] = []
    if not isinstance(recipients, list):
        return out
    for entry in recipients:
        if isinstance(entry, Mapping) and isinstance(entry.get("emailAddress"), str):
            diagnostic = entry.get("diagnosticCode") or entry.get("status") or ""
            out.append((entry["emailAddress"], str(diagnostic)))
    return out


def _soft_bounce_seen(session: Session, *, email: str, feedback: str) -> bool:
    try:
        subscriber = find_subscriber(session, email)
    except InputError:
        return False
    if subscriber is None:
        return False
    found = session.scalar(
        select(SubscriberEvent.id)
        .where(
            SubscriberEvent.subscriber_id == subscriber.id,
            SubscriberEvent.kind.in_([EventKind.SOFT_BOUNCED, EventKind.BOUNCED]),
            SubscriberEvent.detail.contains(feedback, autoescape=True),
        )
        .limit(1)
    )
    return found is not None


def _bounce(
    session: Session, bounce: Mapping[str, Any], *, soft_limit: int, reference: str
) -> FeedbackResult:
    bounce_type = str(bounce.get("bounceType") or "Undetermined")
    sub_type = str(bounce.get("bounceSubType") or "")
    permanent = bounce_type == PERMANENT
    # Bracketed, so that one id is never found inside a longer one.
    feedback = f"[feedback {bounce.get('feedbackId') or reference}]"
    recipients = _addresses(bounce.get("bouncedRecipients"))
    changed = 0
    for email, diagnostic in recipients:
        detail = f"{bounce_type}/{sub_type} {feedback} {diagnostic}"[:DETAIL_MAX]
        if not permanent and _soft_bounce_seen(session, email=email, feedback=feedback):
            continue  # a replay of a soft bounce already counted
        if record_bounce(
            session, email=email, permanent=permanent, detail=detail, soft_limit=soft_limit
        ):
            changed += 1
        log.info("bounce (%s) for %s", bounce_type, mask_email(email))
    return FeedbackResult("bounce", len(recipients), changed)


def _complaint(
    session: Session, note: Mapping[str, Any], complaint: Mapping[str, Any], *, reference: str
) -> FeedbackResult:
    issue_id = _issue_id(session, note)
    kind = complaint.get("complaintFeedbackType") or "abuse"
    feedback = f"[feedback {complaint.get('feedbackId') or reference}]"
    recipients = _addresses(complaint.get("complainedRecipients"))
    changed = 0
    for email, _ in recipients:
        detail = f"complaint ({kind}) {feedback}"[:DETAIL_MAX]
        if record_complaint(session, email=email, detail=detail, issue_id=issue_id):
            changed += 1
        log.info("complaint for %s", mask_email(email))
    return FeedbackResult("complaint", len(recipients), changed)


def apply_notification(
    session: Session, *, message: str | Mapping[str, Any], soft_limit: int, reference: str = ""
) -> FeedbackResult:
    """Apply one SES notification (JSON text or already parsed) inside ``session``.

    ``reference`` (the SNS MessageId) stands in for a missing SES feedback id when detecting
    replays. Raises :class:`~newsletter.errors.InputError` for a message that is not an SES
    notification object; other event types return ``FeedbackResult("ignored")``.
    """
    if isinstance(message, str):
        try:
            note: Any = json.loads(message)
        except ValueError:
            raise InputError("the SES notification is not JSON") from None
    else:
        note = message
    if not isinstance(note, Mapping):
        raise InputError("the SES notification is not a JSON object")
    kind = _event_type(note)
    if kind == "Bounce" and isinstance(note.get("bounce"), Mapping):
        return _bounce(session, note["bounce"], soft_limit=soft_limit, reference=reference)
    if kind == "Complaint" and isinstance(note.get("complaint"), Mapping):
        return _complaint(session, note, note["complaint"], reference=reference)
    return FeedbackResult("ignored")

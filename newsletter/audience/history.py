"""The append-only records every transition leaves: subscriber events and suppressions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from newsletter.models import EventKind, Issue, SubscriberEvent, Suppression

#: Suppression reasons, weakest first: a stronger reason replaces a weaker one, never the reverse.
REASON_RANK = {"bounced": 1, "complained": 2, "erased": 3}


def existing_issue_id(session: Session, issue_id: int | None) -> int | None:
    """``issue_id`` if that issue exists, else None.

    An unsubscribe link can outlive its issue (an issue may be deleted); the event must still
    be recorded rather than fail on the foreign key.
    """
    if issue_id is None or session.get(Issue, issue_id) is None:
        return None
    return issue_id


def add_event(
    session: Session,
    *,
    subscriber_id: int,
    kind: EventKind,
    method: str,
    list_id: int | None = None,
    issue_id: int | None = None,
    detail: str = "",
) -> SubscriberEvent:
    """Record one transition (never updated or deleted afterwards, except erasure's scrub)."""
    event = SubscriberEvent(
        subscriber_id=subscriber_id,
        list_id=list_id,
        kind=kind,
        method=method,
        issue_id=existing_issue_id(session, issue_id),
        detail=detail,
    )
    session.add(event)
    return event


def suppress(session: Session, *, address_hash: str, reason: str) -> bool:
    """Make sure ``address_hash`` is suppressed with ``reason``; True if that changed anything.

    A stronger reason (bounced < complained < erased) replaces a weaker one, never the reverse.
    """
    row = session.get(Suppression, address_hash)
    if row is None:
        session.add(Suppression(email_hash=address_hash, reason=reason))
        session.flush()
        return True
    if REASON_RANK.get(reason, 0) > REASON_RANK.get(row.reason, 0):
        row.reason = reason
        return True
    return False


def suppression_reason(session: Session, address_hash: str) -> str | None:
    """Why ``address_hash`` is suppressed, or None."""
    row = session.get(Suppression, address_hash)
    return None if row is None else row.reason

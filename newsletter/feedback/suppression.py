"""Bounces and complaints reported by the mail service: global suppressions.

Both take the address as the report gives it. An address that is not valid, or that is not
a subscriber, is not an error here (reports arrive for test sends and for addresses erased
long ago); a hard bounce or a complaint about a stranger still suppresses its hash, so it
cannot be imported later. Replays of the same report change nothing and return False, except
soft bounces, which carry nothing to compare: each call counts one. The callers make sure a
report is applied once (:mod:`newsletter.feedback.apply` records each event under its key).
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from newsletter.audience.addresses import email_hash, mask_email, normalize_email
from newsletter.audience.history import add_event, suppress
from newsletter.audience.unsubscribe import unsubscribe
from newsletter.db import rowcount
from newsletter.errors import InputError
from newsletter.models import EventKind, Subscriber, SubscriberStatus

log = logging.getLogger(__name__)

BOUNCE_METHOD = "bounce"
COMPLAINT_METHOD = "complaint"


def _lookup(session: Session, email: str) -> tuple[str, Subscriber | None] | None:
    try:
        address = normalize_email(email)
    except InputError as exc:
        log.warning("feedback for an unusable address %s ignored: %s", mask_email(email), exc)
        return None
    address_hash = email_hash(address)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email_hash == address_hash))
    return address_hash, subscriber


def _set_status(
    session: Session,
    subscriber: Subscriber,
    *,
    to: SubscriberStatus,
    allowed: set[SubscriberStatus],
) -> bool:
    # Conditional, so that a report processed twice at once changes the state once.
    changed = session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber.id, Subscriber.status.in_(allowed))
        .values(status=to)
    )
    if rowcount(changed) == 0:
        return False
    session.refresh(subscriber)
    return True


def _hard_bounce(session: Session, subscriber: Subscriber, *, detail: str) -> bool:
    if not _set_status(
        session, subscriber, to=SubscriberStatus.BOUNCED, allowed={SubscriberStatus.OK}
    ):
        return False
    add_event(
        session,
        subscriber_id=subscriber.id,
        kind=EventKind.BOUNCED,
        method=BOUNCE_METHOD,
        detail=detail,
    )
    suppress(session, address_hash=subscriber.email_hash, reason="bounced")
    session.flush()
    return True


def record_bounce(
    session: Session, *, email: str, permanent: bool, detail: str, soft_limit: int
) -> bool:
    """Record a bounce; returns whether the state changed.

    Permanent: the address becomes ``bounced`` (all mail stops; event ``bounced``). Soft: the
    count goes up (event ``soft_bounced``) and at ``soft_limit`` the address is bounced too.
    Nothing changes for an address already bounced, complained or erased.
    """
    found = _lookup(session, email)
    if found is None:
        return False
    address_hash, subscriber = found
    if subscriber is None:
        return permanent and suppress(session, address_hash=address_hash, reason="bounced")
    if subscriber.status is not SubscriberStatus.OK:
        return False
    if permanent:
        return _hard_bounce(session, subscriber, detail=detail)
    counted = session.execute(
        update(Subscriber)
        .where(Subscriber.id == subscriber.id, Subscriber.status == SubscriberStatus.OK)
        .values(soft_bounces=Subscriber.soft_bounces + 1)
        .returning(Subscriber.soft_bounces)
        .execution_options(synchronize_session=False)
    ).scalar()
    if counted is None:
        return False
    session.expire(subscriber, ["soft_bounces"])
    add_event(
        session,
        subscriber_id=subscriber.id,
        kind=EventKind.SOFT_BOUNCED,
        method=BOUNCE_METHOD,
        detail=detail,
    )
    session.flush()
    if counted >= soft_limit:
        _hard_bounce(session, subscriber, detail=f"{counted} soft bounces; last: {detail}")
    return True


def record_complaint(
    session: Session, *, email: str, detail: str, issue_id: int | None = None
) -> bool:
    """Record a complaint (marked as spam): ``complained``, unsubscribed from every list.

    Events: ``complained`` and one ``unsubscribed`` (method ``complaint``, with the issue)
    per list. Returns whether the state changed; a replay changes nothing.
    """
    found = _lookup(session, email)
    if found is None:
        return False
    address_hash, subscriber = found
    if subscriber is None:
        return suppress(session, address_hash=address_hash, reason="complained")
    if not _set_status(
        session,
        subscriber,
        to=SubscriberStatus.COMPLAINED,
        allowed={SubscriberStatus.OK, SubscriberStatus.BOUNCED},
    ):
        return False
    add_event(
        session,
        subscriber_id=subscriber.id,
        kind=EventKind.COMPLAINED,
        method=COMPLAINT_METHOD,
        issue_id=issue_id,
        detail=detail,
    )
    unsubscribe(
        session,
        subscriber_id=subscriber.id,
        list_id=None,
        method=COMPLAINT_METHOD,
        issue_id=issue_id,
    )
    suppress(session, address_hash=address_hash, reason="complained")
    session.flush()
    return True

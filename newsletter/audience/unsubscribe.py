"""Leaving a list: by one-click (RFC 8058), a link's confirm page, an operator, a complaint."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from newsletter.audience.history import add_event
from newsletter.audience.sqlutil import expire_loaded
from newsletter.models import EventKind, Subscription, SubscriptionStatus
from newsletter.models.base import utcnow

#: How an unsubscribe can happen; recorded on the event.
UNSUBSCRIBE_METHODS = frozenset({"one-click", "link", "operator", "complaint", "preferences"})


def unsubscribe(
    session: Session,
    *,
    subscriber_id: int,
    list_id: int | None,
    method: str,
    issue_id: int | None = None,
    detail: str = "",
) -> bool:
    """Unsubscribe from ``list_id`` (None: from every list); pending subscriptions too.

    One ``unsubscribed`` event per list that changed, with ``method`` and the issue the link
    came from. Idempotent (a replayed one-click POST or SNS message changes nothing): returns
    whether anything changed. ``method`` must be one of :data:`UNSUBSCRIBE_METHODS`.
    """
    if method not in UNSUBSCRIBE_METHODS:
        raise ValueError(f"unknown unsubscribe method {method!r}")
    stmt = (
        update(Subscription)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
        .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=utcnow())
        .returning(Subscription.list_id)
        .execution_options(synchronize_session=False)
    )
    if list_id is not None:
        stmt = stmt.where(Subscription.list_id == list_id)
    # A conditional UPDATE: of two racing requests only one sees the rows and records events.
    changed = sorted(session.execute(stmt).scalars())
    expire_loaded(
        session,
        Subscription,
        ["status", "unsubscribed_at"],
        lambda s: s.subscriber_id == subscriber_id and s.list_id in changed,
    )
    for changed_list in changed:
        add_event(
            session,
            subscriber_id=subscriber_id,
            list_id=changed_list,
            kind=EventKind.UNSUBSCRIBED,
            method=method,
            issue_id=issue_id,
            detail=detail,
        )
    session.flush()
    return bool(changed)

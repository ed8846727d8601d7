"""Confirmation emails owed in bulk (``subscribers confirm-pending``) and the record that
makes every confirmation email go out once.

Each confirmation email sent is recorded as a ``confirmation_sent`` event on the person's
history (here, and by :func:`~newsletter.optin.send_confirmations` when given the engine).
A pending subscription is *unsent* when no such event followed its latest ``subscribed``
event: typically people imported as pending (an import sends nothing) or added with
``--no-email``. The bulk send works through them in subscriber order at a fixed pace,
recording each email right after it is accepted, so a run that stops (Ctrl-C, an account
error, a crash) is resumed by running it again: nobody who got the email gets it twice.
Only a crash in the instant between the provider's acceptance and the record can repeat
one email. Run one bulk send at a time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from newsletter.audience import get_list
from newsletter.db import transaction
from newsletter.models import EventKind, SubscriberEvent
from newsletter.optin.email import send_confirmations
from newsletter.optin.owed import ConfirmationTarget, confirmation_targets
from newsletter.settings import Settings
from newsletter.transport import Transport

#: The method recorded on the ``confirmation_sent`` events of the bulk send.
BULK_METHOD = "confirm-pending"


def _latest(session: Session, kind: EventKind, list_id: int | None) -> dict[tuple[int, int], int]:
    query = (
        select(SubscriberEvent.subscriber_id, SubscriberEvent.list_id, func.max(SubscriberEvent.id))
        .where(SubscriberEvent.kind == kind, SubscriberEvent.list_id.is_not(None))
        .group_by(SubscriberEvent.subscriber_id, SubscriberEvent.list_id)
    )
    if list_id is not None:
        query = query.where(SubscriberEvent.list_id == list_id)
    return {(s, lst): n for s, lst, n in session.execute(query) if lst is not None}


def unsent_targets(
    session: Session, settings: Settings, *, list_id: int | None = None
) -> list[ConfirmationTarget]:
    """Pending subscriptions in good standing (of ``list_id`` if given) whose confirmation
    email has not been sent since they became pending, in subscriber order."""
    subscribed = _latest(session, EventKind.SUBSCRIBED, list_id)
    sent = _latest(session, EventKind.CONFIRMATION_SENT, list_id)
    targets = confirmation_targets(session, settings, list_id=list_id)
    # Event ids grow with time: a send recorded after the latest sign-up covers it.
    return [
        t
        for t in targets
        if sent.get((t.subscriber_id, t.list_id), 0)
        <= subscribed.get((t.subscriber_id, t.list_id), 0)
    ]


@dataclass(frozen=True)
class BulkConfirmations:
    """What a bulk send did: emails sent, failed (retried by the next run), and left (not
    tried because of ``limit``)."""

    sent: int
    failed: int
    left: int


def send_pending_confirmations(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    list_name: str | None = None,
    rate: float = 1.0,
    limit: int | None = None,
    settings_for: Callable[[Session, int], Settings] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> BulkConfirmations:
    """Send every unsent confirmation email (of ``list_name``'s list if given), at most
    ``rate`` a second and at most ``limit`` of them, each recorded as it goes.

    ``settings_for(session, list_id)`` gives the settings of a list's email (its edition's
    language, name and sender; default ``settings``). A failed recipient (permanent, or
    transient after retries) is logged and counted, and tried again by the next run; an
    account-level error is raised (what was sent is recorded: run again to resume).
    :class:`~newsletter.errors.NotFoundError` for an unknown list.
    """
    if rate <= 0:
        raise ValueError("rate must be positive")
    with transaction(engine) as session:
        list_id = None if list_name is None else get_list(session, list_name).id
        targets = unsent_targets(session, settings, list_id=list_id)
        per_list = {
            lid: settings_for(session, lid) if settings_for else settings
            for lid in {t.list_id for t in targets}
        }
    todo = targets if limit is None else targets[:limit]
    interval = 1.0 / rate
    next_at = clock()
    sent = failed = 0
    for target in todo:
        wait = next_at - clock()
        if wait > 0:
            sleep(wait)
        next_at = max(next_at + interval, clock())
        outcome = send_confirmations(
            per_list[target.list_id], transport, [target], record_in=engine, method=BULK_METHOD
        )
        sent += outcome.sent
        failed += outcome.failed
    return BulkConfirmations(sent=sent, failed=failed, left=len(targets) - len(todo))

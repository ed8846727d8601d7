"""The double opt-in use cases: an operator's add, a person's sign-up, the confirmation.

Each works in the caller's session (the caller commits) and says which confirmation emails
are owed; the emails are sent after the commit (:func:`~newsletter.optin.send_confirmations`),
so a link never names a subscription that is not stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from newsletter.audience import (
    AddResult,
    add_subscriber,
    confirm_subscription,
    list_label_of,
    request_subscription,
    subscription_status,
)
from newsletter.audience.history import add_event
from newsletter.audience.subscribe import FORM_METHOD
from newsletter.models import EventKind, SubscriptionStatus
from newsletter.optin.owed import ConfirmationTarget, confirmation_targets, owed_targets
from newsletter.optin.welcome import WelcomeTarget, welcome_owed
from newsletter.settings import Settings


@dataclass(frozen=True)
class Added:
    """What an add or a sign-up did, and the confirmation emails it calls for."""

    result: AddResult
    confirmations: list[ConfirmationTarget]


def add(
    session: Session,
    settings: Settings,
    *,
    email: str,
    list_name: str,
    name: str = "",
    language: str = "",
    confirmed: bool = False,
    send_email: bool = True,
) -> Added:
    """An operator's add (``subscribers add``): see :func:`~newsletter.audience.add_subscriber`.

    A confirmation email is owed when the subscription is pending afterwards (new, or pending
    already: it is sent again), unless ``send_email`` is false.
    """
    result = add_subscriber(
        session,
        email=email,
        list_name=list_name,
        name=name,
        language=language,
        confirmed=confirmed,
    )
    owed = owed_targets(session, settings, result) if send_email else []
    return Added(result, owed)


def sign_up(session: Session, settings: Settings, *, email: str, name: str = "") -> Added:
    """The person's own sign-up to the default list (the web form), by the same rule as
    :func:`add`: see :func:`~newsletter.audience.request_subscription`. The confirmation
    email owed is recorded as sent (event ``confirmation_sent``, method ``form``)."""
    result = request_subscription(session, email=email, list_name=settings.default_list, name=name)
    owed = owed_targets(session, settings, result)
    # Recorded with the sign-up (the email goes right after the commit), so that the work
    # of a rehearsal (the honeypot) is the same statements, and a later `confirm-pending`
    # does not send it again.
    for target in owed:
        add_event(
            session,
            subscriber_id=target.subscriber_id,
            list_id=target.list_id,
            kind=EventKind.CONFIRMATION_SENT,
            method=FORM_METHOD,
        )
    session.flush()
    return Added(result, owed)


def rehearse_sign_up(
    session: Session, settings: Settings, *, email: str, name: str = ""
) -> list[ConfirmationTarget]:
    """The work of :func:`sign_up`, then rolled back: a refused sign-up (the honeypot) costs
    what a real one costs, so the time of the answer tells nothing. ``session`` must not hold
    other changes: it is rolled back. Returns the confirmations a real sign-up would owe,
    for :func:`~newsletter.optin.rehearse_confirmations` (their ids name nothing stored)."""
    owed = sign_up(session, settings, email=email, name=name).confirmations
    session.rollback()
    return owed


@dataclass(frozen=True)
class Confirmed:
    """The state after following a confirm link, and the welcome email now owed (if the
    list's edition has one and the person was not welcomed to that list before)."""

    active: bool
    list_label: str
    welcome: WelcomeTarget | None = None


def confirm(
    session: Session,
    settings: Settings,
    *,
    subscriber_id: int,
    list_id: int,
    base: Settings | None = None,
) -> Confirmed:
    """Follow a confirm link (idempotent): pending → active; ``active`` tells the state after.

    ``settings`` are the list's edition's (the page's words); ``base`` the plain settings,
    which find the edition of the list for its welcome email (default: ``settings``)."""
    confirm_subscription(session, subscriber_id=subscriber_id, list_id=list_id)
    status = subscription_status(session, subscriber_id=subscriber_id, list_id=list_id)
    active = status is SubscriptionStatus.ACTIVE
    welcome = (
        welcome_owed(session, base or settings, subscriber_id=subscriber_id, list_id=list_id)
        if active
        else None
    )
    return Confirmed(active, list_label_of(session, settings, list_id), welcome)


def owed_again(
    session: Session, settings: Settings, *, subscriber_id: int, list_id: int
) -> list[ConfirmationTarget]:
    """The confirmation email to send again for an expired link ("send me a new link"):
    one while the subscription is still pending and the address in good standing, else
    none (confirmed since, unsubscribed, bounced, erased). Reads only."""
    return confirmation_targets(session, settings, list_id=list_id, subscriber_ids=[subscriber_id])

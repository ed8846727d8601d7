"""The double opt-in email, through the same transport as the issues."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from newsletter.audience import ConfirmationSender, ConfirmationTarget, mask_email
from newsletter.errors import StateError
from newsletter.message import Recipient, build_message, random_message_id
from newsletter.models import Subscriber, Subscription
from newsletter.render import render_confirmation
from newsletter.render.personalize import clean_name
from newsletter.sending.personal import envelope_address
from newsletter.sending.single import deliver_one
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, make_token
from newsletter.transport import OutgoingMessage, PermanentError, TransientError, Transport

log = logging.getLogger(__name__)


def confirm_url(settings: Settings, *, subscriber_id: int, list_id: int) -> str:
    """The signed confirm link (expires after NEWSLETTER_CONFIRM_TOKEN_DAYS)."""
    token = make_token(
        settings, purpose=TokenPurpose.CONFIRM, subscriber_id=subscriber_id, list_id=list_id
    )
    return f"{settings.require_base_url()}/confirm/{token}"


def send_confirmation_to(
    settings: Settings,
    transport: Transport,
    *,
    subscriber_id: int,
    list_id: int,
    email: str,
    name: str,
    list_name: str,
) -> str:
    """Send the confirmation email for (subscriber, list) to ``email``; the message id."""
    rendered = render_confirmation(
        settings,
        confirm_url=confirm_url(settings, subscriber_id=subscriber_id, list_id=list_id),
        list_name=list_name,
    )
    sender = settings.require_sender()
    address = envelope_address(email)
    raw = build_message(
        sender=sender,
        to=Recipient(address, clean_name(name)),
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        reply_to=settings.reply_to,
        message_id=random_message_id(sender_address=settings.sender_address),
    )
    message = OutgoingMessage(settings.sender_address, (address,), raw, (("type", "confirm"),))
    return deliver_one(transport, message)


def send_confirmation(
    settings: Settings,
    transport: Transport,
    *,
    subscriber: Subscriber,
    subscription: Subscription,
    list_name: str,
) -> str:
    """Send the double opt-in email of ``subscription``; returns the provider's message id.

    Transient errors are retried a few times; then, like permanent and account errors,
    they are raised (all are :class:`~newsletter.errors.NewsletterError`).
    """
    if subscriber.email is None:
        raise StateError(f"subscriber {subscriber.id} is erased: no confirmation email")
    return send_confirmation_to(
        settings,
        transport,
        subscriber_id=subscriber.id,
        list_id=subscription.list_id,
        email=subscriber.email,
        name=subscriber.name,
        list_name=list_name,
    )


def confirmation_sender(settings: Settings, transport: Transport) -> ConfirmationSender:
    """A :data:`~newsletter.audience.ConfirmationSender` over ``transport``.

    Each target gets its email; one that fails (transient after retries, or permanent) is
    logged and counted out; an account-level error is raised (nothing else would go).
    """

    def send(session: Session, targets: Sequence[ConfirmationTarget]) -> int:
        del session  # the targets carry everything needed
        sent = 0
        for t in targets:
            try:
                send_confirmation_to(
                    settings,
                    transport,
                    subscriber_id=t.subscriber_id,
                    list_id=t.list_id,
                    email=t.email,
                    name=t.name,
                    list_name=t.list_name,
                )
            except (TransientError, PermanentError) as exc:
                log.warning("confirmation to %s not sent: %s", mask_email(t.email), exc)
                continue
            sent += 1
        return sent

    return send

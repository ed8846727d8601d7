"""The double opt-in email: rendered from ``emails/confirm.*``, built and sent.

It goes to the bare address: the name someone typed into a public form is not confirmed
and may be anything ("You won $1000! Claim at ..."), so it never reaches the ``To:`` header.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from newsletter.audience import mask_email
from newsletter.audience.history import add_event
from newsletter.compose import check_subject
from newsletter.db import transaction
from newsletter.errors import InputError
from newsletter.message import Recipient, build_message, random_message_id
from newsletter.models import EventKind
from newsletter.optin.owed import ConfirmationTarget
from newsletter.render.context import base_context
from newsletter.render.pipeline import mjml_to_html
from newsletter.render.rendered import RenderedEmail
from newsletter.render.strings import strings_for
from newsletter.render.templates import render_template
from newsletter.sending.personal import envelope_address
from newsletter.sending.single import deliver_one
from newsletter.settings import Settings
from newsletter.text import untrusted_text
from newsletter.tokens import TokenPurpose, make_token
from newsletter.transport import OutgoingMessage, PermanentError, TransientError, Transport
from newsletter.urls import safe_web_url

log = logging.getLogger(__name__)


def render_confirmation(settings: Settings, *, confirm_url: str, list_name: str) -> RenderedEmail:
    """The confirmation email for a subscription to ``list_name``, linking to ``confirm_url``.

    It has no placeholders (it goes to one address, once) and no unsubscribe link: nobody is
    subscribed until the link is followed. ``confirm_url`` must be an absolute http(s) URL
    and ``list_name`` one line (:class:`InputError` otherwise).
    """
    url = safe_web_url(confirm_url)
    if url is None:
        raise InputError(f"the confirm URL is not an absolute http(s) URL: {confirm_url!r}")
    name = untrusted_text(list_name).strip()
    if any(c in list_name for c in "\r\n"):
        raise InputError("the list name must be one line")
    strings = strings_for(settings.language)
    subject = check_subject(strings.confirm_subject.format(list_name=name))
    ctx = base_context(settings, subject=subject, preheader=strings.confirm_title)
    ctx.update(
        confirm_url=url,
        list_name=name,
        confirm_intro=strings.confirm_intro.format(list_name=name),
    )
    html = mjml_to_html(render_template("confirm.mjml.j2", ctx))
    text = render_template("confirm.txt.j2", ctx)
    return RenderedEmail(subject=subject, html=html, text=text)


def confirm_url(settings: Settings, *, subscriber_id: int, list_id: int) -> str:
    """The signed confirm link (expires after NEWSLETTER_CONFIRM_TOKEN_DAYS)."""
    token = make_token(
        settings, purpose=TokenPurpose.CONFIRM, subscriber_id=subscriber_id, list_id=list_id
    )
    return f"{settings.require_base_url()}/confirm/{token}"


def confirmation_message(settings: Settings, target: ConfirmationTarget) -> OutgoingMessage:
    """The MIME message of ``target``'s confirmation email, addressed to the bare address."""
    rendered = render_confirmation(
        settings,
        confirm_url=confirm_url(
            settings, subscriber_id=target.subscriber_id, list_id=target.list_id
        ),
        list_name=target.list_label,
    )
    sender = settings.require_sender()
    address = envelope_address(target.email)
    raw = build_message(
        sender=sender,
        to=Recipient(address, ""),
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        reply_to=settings.reply_to,
        message_id=random_message_id(sender_address=settings.sender_address),
    )
    return OutgoingMessage(settings.sender_address, (address,), raw, (("type", "confirm"),))


def send_confirmation(settings: Settings, transport: Transport, target: ConfirmationTarget) -> str:
    """Send ``target``'s confirmation email; returns the provider's message id.

    Transient errors are retried a few times; then, like permanent and account errors,
    they are raised (all are :class:`~newsletter.errors.NewsletterError`).
    """
    return deliver_one(transport, confirmation_message(settings, target))


@dataclass(frozen=True)
class ConfirmationsSent:
    """How many of the confirmation emails went out, and how many did not."""

    sent: int
    failed: int


def send_confirmations(
    settings: Settings,
    transport: Transport,
    targets: Sequence[ConfirmationTarget],
    *,
    record_in: Engine | None = None,
    method: str = "",
) -> ConfirmationsSent:
    """Send every target its email; one that fails (transient after retries, or permanent) is
    logged and counted; an account-level error is raised (nothing else would go).

    With ``record_in``, each email sent is recorded there (event ``confirmation_sent`` with
    ``method``), so that ``subscribers confirm-pending`` knows it is not owed any more.
    """
    sent = 0
    for target in targets:
        try:
            send_confirmation(settings, transport, target)
        except (TransientError, PermanentError) as exc:
            log.warning("confirmation to %s not sent: %s", mask_email(target.email), exc)
            continue
        if record_in is not None:
            with transaction(record_in) as session:
                add_event(
                    session,
                    subscriber_id=target.subscriber_id,
                    list_id=target.list_id,
                    kind=EventKind.CONFIRMATION_SENT,
                    method=method,
                )
        sent += 1
    return ConfirmationsSent(sent=sent, failed=len(targets) - sent)


def rehearse_confirmations(settings: Settings, targets: Sequence[ConfirmationTarget]) -> int:
    """Build the messages of ``targets`` as :func:`send_confirmations` would, and send none:
    the work a refused sign-up does so that the server is as busy as after a real one."""
    return sum(len(confirmation_message(settings, t).raw) for t in targets)

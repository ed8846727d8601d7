"""The welcome email: sent once, after a confirmed sign-up, by an edition that has one.

An edition's ``welcome`` (Markdown, set with ``editions update --welcome``; none by default)
is rendered like an issue: the edition's brand, language and footer, with the reader's own
unsubscribe and preference links. :func:`welcome_owed` decides, in the confirming
transaction, whether it is owed and records that it is (a ``welcomed`` event), so that a
second click on the confirm link, a second worker or a retry never sends it twice; the front
end sends it after answering (:func:`send_welcome`).
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.audience.history import add_event
from newsletter.editions import edition_of_list, edition_settings, list_name_of
from newsletter.message import Recipient, random_message_id
from newsletter.models import (
    EventKind,
    MailingList,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.render import markdown
from newsletter.render.context import base_context
from newsletter.render.personalize import display_name, personalize
from newsletter.render.pipeline import mjml_to_html
from newsletter.render.rendered import RenderedEmail
from newsletter.render.templates import render_template
from newsletter.sending.single import deliver_one
from newsletter.settings import Settings
from newsletter.subject import clean_subject
from newsletter.text import untrusted_text
from newsletter.tokens import TokenPurpose, make_token
from newsletter.transport import OutgoingMessage, Transport


@dataclass(frozen=True)
class WelcomeTarget:
    """A welcome email owed: to whom, for which list, in which edition's settings."""

    subscriber_id: int
    list_id: int
    email: str
    name: str
    list_name: str
    markdown: str
    settings: Settings


def welcome_owed(
    session: Session, settings: Settings, *, subscriber_id: int, list_id: int
) -> WelcomeTarget | None:
    """The welcome email the person is owed for ``list_id`` now, recorded as sent (so it is
    owed once), or None: the list's edition has no welcome, the subscription is not
    active, the address is not in good standing, or it was welcomed to that list before."""
    mailing_list = session.get(MailingList, list_id)
    if mailing_list is None:
        return None
    edition = edition_of_list(session, settings, mailing_list.name)
    if edition is None or not edition.welcome:
        return None
    subscriber = session.get(Subscriber, subscriber_id)
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
        )
    )
    if (
        subscriber is None
        or subscriber.email is None
        or subscriber.status is not SubscriberStatus.OK
        or subscription is None
        or subscription.status is not SubscriptionStatus.ACTIVE
    ):
        return None
    before = session.scalar(
        select(SubscriberEvent.id).where(
            SubscriberEvent.subscriber_id == subscriber_id,
            SubscriberEvent.list_id == list_id,
            SubscriberEvent.kind == EventKind.WELCOMED,
        )
    )
    if before is not None:
        return None
    add_event(
        session,
        subscriber_id=subscriber_id,
        kind=EventKind.WELCOMED,
        method="confirm",
        list_id=list_id,
    )
    session.flush()
    seen = edition_settings(settings, edition)
    return WelcomeTarget(
        subscriber_id=subscriber_id,
        list_id=list_id,
        email=subscriber.email,
        name=subscriber.name,
        list_name=list_name_of(settings, edition),
        markdown=edition.welcome,
        settings=seen,
    )


def ctx_name(settings: Settings) -> str:
    """The newsletter's name as the email shows it (one line, plain text)."""
    return untrusted_text(settings.newsletter_name).strip()


def render_welcome(settings: Settings, *, welcome: str) -> RenderedEmail:
    """The welcome email of the edition whose ``settings`` are given, with the per-recipient
    markers (greeting, unsubscribe and preference links) for :func:`personalize`."""
    from newsletter.render.strings import strings_for

    strings = strings_for(settings.language)
    name = ctx_name(settings)
    subject = clean_subject(strings.welcome_title.format(list_name=name))
    ctx = base_context(settings, subject=subject, preheader=subject)
    ctx.update(
        title=subject,
        welcome_html=Markup(markdown.to_html(welcome)),  # noqa: S704 (nh3-sanitized)
        welcome_text=markdown.to_text(welcome),
        archive_index_url=f"{ctx['base_url']}/archive",
        footer_reason=strings.footer_reason.format(newsletter=name),
    )
    html = mjml_to_html(render_template("welcome.mjml.j2", ctx))
    text = render_template("welcome.txt.j2", ctx)
    return RenderedEmail(subject=subject, html=html, text=text, language=settings.language)


def welcome_message(target: WelcomeTarget) -> OutgoingMessage:
    """The MIME message of ``target``'s welcome: the list's headers (one-click unsubscribe),
    the reader's own links."""
    from newsletter.sending.personal import envelope_address, list_message_builder

    settings = target.settings
    rendered = render_welcome(settings, welcome=target.markdown)
    base = settings.require_base_url()
    unsubscribe = make_token(
        settings,
        purpose=TokenPurpose.UNSUBSCRIBE,
        subscriber_id=target.subscriber_id,
        list_id=target.list_id,
    )
    preferences = make_token(
        settings,
        purpose=TokenPurpose.PREFERENCES,
        subscriber_id=target.subscriber_id,
        list_id=target.list_id,
    )
    url = f"{base}/unsubscribe/{unsubscribe}"
    copy = personalize(
        rendered,
        unsubscribe_url=url,
        name=target.name,
        preferences_url=f"{base}/preferences/{preferences}",
    )
    builder = list_message_builder(
        settings,
        subject=copy.subject,
        list_name=target.list_name,
        campaign="welcome",
        issue_date="none",
    )
    address = envelope_address(target.email)
    raw = builder.build(
        to=Recipient(address, display_name(target.name)),
        html=copy.html,
        text=copy.text,
        unsubscribe_url=url,
        message_id=random_message_id(sender_address=builder.sender_address),
    )
    return OutgoingMessage(builder.sender_address, (address,), raw, (("type", "welcome"),))


def send_welcome(transport: Transport, target: WelcomeTarget) -> str:
    """Send ``target``'s welcome email; returns the provider's message id (transient errors
    are retried a few times, then raised like the others)."""
    return deliver_one(transport, welcome_message(target), attempts=4)

"""Sign-up with double opt-in: ``GET/POST /subscribe``, ``GET/POST /confirm/{token}``.

The form's answer never tells whether an address is known: new, pending, active, unsubscribed
and suppressed addresses all get the same page, and so does a filled-in honeypot (a bot). The
confirmation email goes out after the response, so the answer takes the same time too. Two
sliding-window limits stop subscription bombing: per address (over the limit the page is the
same, only no email is sent) and per client (over the limit: 429).

``GET /confirm/{token}`` only shows a button (link scanners fetch GETs); ``POST`` confirms.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from newsletter.audience import (
    confirm_subscription,
    email_hash,
    mask_email,
    normalize_email,
    request_subscription,
)
from newsletter.db import transaction
from newsletter.errors import InputError, NewsletterError
from newsletter.models import MailingList, Subscriber, Subscription, SubscriptionStatus
from newsletter.sending.confirm import send_confirmation
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.links import path_token
from subscribers.services import Services, services
from subscribers.views import list_label, subscription_view

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"
_WANTS_CONFIRMATION = {"pending", "reactivated_pending"}


async def subscribe_form(request: Request) -> Response:
    """The sign-up form."""
    return _form(services(request))


async def subscribe_post(request: Request) -> Response:
    """Sign up: the same answer for every address; the confirmation email is sent afterwards."""
    svc = services(request)
    client = request.client.host if request.client else "unknown"
    if not svc.client_limiter.hit(client):
        m = svc.pages.messages
        return svc.pages.message(
            title=m.rate_limited_title, body=m.rate_limited_body, status_code=429
        )
    try:
        form = await request.form(max_fields=20, max_files=0)
    except HTTPException:
        form = FormData()
    email = _field(form, "email")
    name = _field(form, "name")
    if _field(form, HONEYPOT_FIELD):
        log.info("sign-up with the honeypot filled in ignored")
        return _sent(svc)
    try:
        address = normalize_email(email)
    except InputError:
        return _form(svc, error=svc.pages.messages.subscribe_invalid, email=email, name=name)
    if not svc.address_limiter.hit(email_hash(address)):
        log.info("sign-up for %s over the per-address limit: no email", mask_email(address))
        return _sent(svc)
    try:
        pending = await run_in_threadpool(_request, svc, address, name)
    except InputError:
        return _form(svc, error=svc.pages.messages.subscribe_invalid, email=email, name=name)
    task = None if pending is None else BackgroundTask(_send_confirmation, svc, pending)
    return _sent(svc, background=task)


async def confirm_page(request: Request) -> Response:
    """The confirm button (changes nothing)."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return svc.pages.invalid_link()
    view = await run_in_threadpool(subscription_view, svc.settings, svc.engine, data)
    if view.status is SubscriptionStatus.ACTIVE:
        return _confirmed(svc, view.list_name)
    return svc.pages.response("confirm.html", list_name=view.list_name, action="")


async def confirm_post(request: Request) -> Response:
    """Confirm (idempotent): pending → active."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return svc.pages.invalid_link()
    active, list_name = await run_in_threadpool(_confirm, svc, data)
    if active:
        return _confirmed(svc, list_name)
    m = svc.pages.messages
    return svc.pages.message(
        title=m.not_confirmed_title,
        body=m.not_confirmed_body,
        link_url="/subscribe",
        link_text=m.subscribe_button,
    )


def _subscription(session: Session, subscriber_id: int, list_id: int) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
        )
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _request(svc: Services, address: str, name: str) -> tuple[int, int] | None:
    """Record the sign-up; the (subscriber id, list id) owed a confirmation email, if any."""
    with transaction(svc.engine) as session:
        result = request_subscription(
            session, email=address, list_name=svc.settings.default_list, name=name
        )
        subscription = result.subscription
        if subscription is None or result.subscriber is None:
            return None
        resend = result.outcome == "already" and subscription.status is SubscriptionStatus.PENDING
        if result.outcome in _WANTS_CONFIRMATION or resend:
            return result.subscriber.id, subscription.list_id
        return None


def _send_confirmation(svc: Services, target: tuple[int, int]) -> None:
    # Runs after the response: a failure is logged, never shown (the answer is always the same).
    subscriber_id, list_id = target
    try:
        with transaction(svc.engine) as session:
            subscriber = session.get(Subscriber, subscriber_id)
            subscription = _subscription(session, subscriber_id, list_id)
            mailing_list = session.get(MailingList, list_id)
        if subscriber is None or subscription is None or mailing_list is None:
            return
        send_confirmation(
            svc.settings,
            svc.transport(),
            subscriber=subscriber,
            subscription=subscription,
            list_name=list_label(svc.settings, mailing_list),
        )
    except NewsletterError as exc:
        log.error("confirmation email for subscriber %s not sent: %s", subscriber_id, exc)


def _confirm(svc: Services, data: TokenData) -> tuple[bool, str]:
    with transaction(svc.engine) as session:
        confirm_subscription(session, subscriber_id=data.subscriber_id, list_id=data.list_id)
        subscription = _subscription(session, data.subscriber_id, data.list_id)
        label = list_label(svc.settings, session.get(MailingList, data.list_id))
    active = subscription is not None and subscription.status is SubscriptionStatus.ACTIVE
    return active, label


def _form(svc: Services, *, error: str = "", email: str = "", name: str = "") -> Response:
    return svc.pages.response(
        "subscribe.html",
        status_code=400 if error else 200,
        error=error,
        email=email,
        name=name,
        action="",
    )


def _sent(svc: Services, *, background: BackgroundTask | None = None) -> Response:
    m = svc.pages.messages
    response = svc.pages.message(title=m.subscribe_sent_title, body=m.subscribe_sent_body)
    response.background = background
    return response


def _confirmed(svc: Services, list_name: str) -> Response:
    m = svc.pages.messages
    return svc.pages.message(
        title=m.confirmed_title, body=m.confirmed_body.format(list_name=list_name)
    )

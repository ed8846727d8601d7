"""Sign-up with double opt-in: ``GET/POST /subscribe``, ``GET/POST /confirm/{token}``.

The form's answer never tells whether an address is known: new, pending, active, unsubscribed
and suppressed addresses all get the same page, and so does a filled-in honeypot (a bot).
Only the address and the name are checked before the answer; the sign-up itself (or, for a
bot, the same work rolled back) and the confirmation email run after it, so the answer takes
the same time too. Two
sliding-window limits stop subscription bombing: per address (over the limit the page is the
same, only no email is sent) and per client (over the limit: 429).

``GET /confirm/{token}`` only shows a button (link scanners fetch GETs); ``POST`` confirms.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from newsletter import optin
from newsletter.audience import checked_name, email_hash, mask_email, normalize_email
from newsletter.db import session_factory, transaction
from newsletter.errors import InputError, NewsletterError
from newsletter.models import SubscriptionStatus
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.links import path_token
from subscribers.services import Services, services
from subscribers.views import link_view

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"


async def subscribe_form(request: Request) -> Response:
    """The sign-up form."""
    return _form(services(request))


async def subscribe_post(request: Request) -> Response:
    """Sign up: the same answer for every address; the confirmation email is sent afterwards."""
    svc = services(request)
    client = request.client.host if request.client else "unknown"
    if not svc.client_throttle.hit(client):
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
    bot = bool(_field(form, HONEYPOT_FIELD))
    try:
        address = normalize_email(email)
        checked_name(name)
    except InputError:
        if bot:
            return _sent(svc)
        return _form(svc, error=svc.pages.messages.subscribe_invalid, email=email, name=name)
    # Everything that touches the database or the mail runs after the answer, which is
    # therefore the same page after the same work for a new, known or suppressed address,
    # over the per-address limit, or a bot's.
    if bot:
        log.info("sign-up with the honeypot filled in ignored")
        return _sent(svc, background=BackgroundTask(_rehearse, svc, address, name))
    if not svc.address_throttle.hit(email_hash(address)):
        log.info("sign-up for %s over the per-address limit: no email", mask_email(address))
        return _sent(svc)
    return _sent(svc, background=BackgroundTask(_sign_up, svc, address, name))


async def confirm_page(request: Request) -> Response:
    """The confirm button (changes nothing)."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return svc.pages.invalid_link()
    view = await run_in_threadpool(link_view, svc, data)
    if view.status is SubscriptionStatus.ACTIVE:
        return _confirmed(svc, view.list_name)
    return svc.pages.response("confirm.html", list_name=view.list_name, action="")


async def confirm_post(request: Request) -> Response:
    """Confirm (idempotent): pending → active."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return svc.pages.invalid_link()
    confirmed = await run_in_threadpool(_confirm, svc, data)
    if confirmed.active:
        return _confirmed(svc, confirmed.list_label)
    m = svc.pages.messages
    return svc.pages.message(
        title=m.not_confirmed_title,
        body=m.not_confirmed_body,
        link_url="/subscribe",
        link_text=m.subscribe_button,
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _sign_up(svc: Services, address: str, name: str) -> None:
    # Runs after the answer: a failure is logged, never shown (the answer is always the same).
    try:
        with transaction(svc.engine) as session:
            owed = optin.sign_up(session, svc.settings, email=address, name=name).confirmations
        optin.send_confirmations(svc.settings, svc.transport(), owed)
    except NewsletterError as exc:
        log.error("sign-up not completed: %s", exc)
    except SQLAlchemyError as exc:
        log.error("sign-up not stored: %s", type(exc).__name__)


def _rehearse(svc: Services, address: str, name: str) -> None:
    # A bot's sign-up does the same work, rolled back, and builds the email it does not send:
    # the server is as busy as after a real one.
    try:
        with session_factory(svc.engine)() as session:
            owed = optin.rehearse_sign_up(session, svc.settings, email=address, name=name)
        optin.rehearse_confirmations(svc.settings, owed)
    except NewsletterError as exc:
        log.error("rehearsed sign-up failed: %s", exc)
    except SQLAlchemyError as exc:
        log.error("rehearsed sign-up failed: %s", type(exc).__name__)


def _confirm(svc: Services, data: TokenData) -> optin.Confirmed:
    with transaction(svc.engine) as session:
        return optin.confirm(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )


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

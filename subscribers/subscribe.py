"""Sign-up with double opt-in: ``GET/POST /subscribe``, ``GET/POST /confirm/{token}``.

The form's answer never tells whether an address is known: new, pending, active, unsubscribed
and suppressed addresses all get the same page, and so does a filled-in honeypot (a bot).
Only the address and the name are checked before the answer; the sign-up itself (or, for a
bot, the same work rolled back) and the confirmation email run after it, so the answer takes
the same time too. Two
sliding-window limits stop subscription bombing: per address (over the limit the page is the
same, only no email is sent) and per client (over the limit: 429).

``GET /confirm/{token}`` only shows a button (link scanners fetch GETs); ``POST`` confirms.
An expired confirm link gets a page explaining it, with a button that asks for a new
confirmation email (``POST /confirm/{token}/renew``): the same answer whatever the state,
sent only while the subscription is still pending, within the sign-up's limits.

Every edition has its form, in its language: ``/subscribe?edition=SLUG`` (or
``/subscribe?list=NAME``, the edition that sends to that list) joins that edition's list;
plain ``/subscribe`` is the default edition's. The confirmation email and the pages are the
edition's (its settings: name, language, sender); a query naming no edition is a 404. The
confirm pages take the language of the edition of the link's list.
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
from newsletter.archive import PublicEdition
from newsletter.audience import checked_name, email_hash, mask_email, normalize_email
from newsletter.db import session_factory, transaction
from newsletter.errors import InputError, NewsletterError
from newsletter.models import SubscriptionStatus
from newsletter.preferences import page_language
from newsletter.settings import Settings
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.editions import (
    list_edition,
    reading,
    requested_edition,
    settings_of,
    subscribe_path,
)
from subscribers.links import expired_confirm_token, path_token
from subscribers.pages import Pages
from subscribers.services import Services, services
from subscribers.views import link_view

log = logging.getLogger(__name__)

HONEYPOT_FIELD = "website"


async def subscribe_form(request: Request) -> Response:
    """The sign-up form of the edition the query names (404 when it names none)."""
    svc = services(request)
    edition = await run_in_threadpool(_requested, svc, request)
    if edition is None:
        return svc.pages.not_found()
    return _form(svc.pages.seen_as(edition.settings))


async def subscribe_post(request: Request) -> Response:
    """Sign up to the list of the edition the query names: the same answer for every
    address; the confirmation email is sent afterwards."""
    svc = services(request)
    client = request.client.host if request.client else "unknown"
    if not svc.client_throttle.hit(client):
        m = svc.pages.messages
        return svc.pages.message(
            title=m.rate_limited_title, body=m.rate_limited_body, status_code=429
        )
    edition = await run_in_threadpool(_requested, svc, request)
    if edition is None:
        return svc.pages.not_found()
    # The edition's settings: its list is the one joined, its language and sender the email's.
    settings = edition.settings
    pages = svc.pages.seen_as(settings)
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
            return _sent(pages)
        return _form(pages, error=pages.messages.subscribe_invalid, email=email, name=name)
    # Everything that touches the database or the mail runs after the answer, which is
    # therefore the same page after the same work for a new, known or suppressed address,
    # over the per-address limit, or a bot's.
    if bot:
        log.info("sign-up with the honeypot filled in ignored")
        return _sent(pages, background=BackgroundTask(_rehearse, svc, settings, address, name))
    # Per address, whichever edition: a bombing does not become one per edition.
    if not svc.address_throttle.hit(email_hash(address)):
        log.info("sign-up for %s over the per-address limit: no email", mask_email(address))
        return _sent(pages)
    return _sent(pages, background=BackgroundTask(_sign_up, svc, settings, address, name))


async def confirm_page(request: Request) -> Response:
    """The confirm button (changes nothing), in the language of the list's edition."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return await _refused_link(svc, request)
    found = await run_in_threadpool(link_view, svc, data)
    pages = svc.pages.seen_as(found.settings(svc.settings), language=found.language)
    if found.view.status is SubscriptionStatus.ACTIVE:
        return _confirmed(pages, found.view.list_name)
    return pages.response("confirm.html", list_name=found.view.list_name, action="")


async def confirm_post(request: Request) -> Response:
    """Confirm (idempotent): pending → active."""
    svc = services(request)
    data = path_token(request, TokenPurpose.CONFIRM)
    if data is None:
        return await _refused_link(svc, request)
    confirmed, settings, edition = await run_in_threadpool(_confirm, svc, data)
    language = await run_in_threadpool(_language, svc, data)
    pages = svc.pages.seen_as(settings, language=language)
    if confirmed.active:
        response = _confirmed(pages, confirmed.list_label)
        if confirmed.welcome is not None:  # owed once, recorded: sent after the answer
            response.background = BackgroundTask(_welcome, svc, confirmed.welcome)
        return response
    m = pages.messages
    return pages.message(
        title=m.not_confirmed_title,
        body=m.not_confirmed_body,
        link_url=subscribe_path(edition),
        link_text=m.subscribe_button,
    )


async def renew_post(request: Request) -> Response:
    """ "Send me a new confirmation link" from an expired link's page: always the same
    answer; the email goes (after it) only to a subscription still pending, within the
    per-client and per-address sign-up limits."""
    svc = services(request)
    data = expired_confirm_token(request)
    if data is None:
        return svc.pages.invalid_link()
    client = request.client.host if request.client else "unknown"
    if not svc.client_throttle.hit(client):
        m = svc.pages.messages
        return svc.pages.message(
            title=m.rate_limited_title, body=m.rate_limited_body, status_code=429
        )
    settings, language = await run_in_threadpool(_link_settings, svc, data)
    pages = svc.pages.seen_as(settings, language=language)
    m = pages.messages
    response = pages.message(title=m.resent_title, body=m.resent_body, links=[("/archive", m.home)])
    response.background = BackgroundTask(_renew, svc, settings, data)
    return response


async def _refused_link(svc: Services, request: Request) -> Response:
    """The page of a confirm link that does not verify: an expired one explains itself
    and offers a new link (in the reader's language); anything else is the invalid page."""
    data = expired_confirm_token(request)
    if data is None:
        return svc.pages.invalid_link()
    settings, language = await run_in_threadpool(_link_settings, svc, data)
    pages = svc.pages.seen_as(settings, language=language)
    token = str(request.path_params.get("token", ""))
    return pages.expired_confirm(resend_action=f"/confirm/{token}/renew")


def _link_settings(svc: Services, data: TokenData) -> tuple[Settings, str]:
    with reading(svc.engine) as session:
        settings = settings_of(list_edition(session, svc.settings, data.list_id), svc.settings)
        language = page_language(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
    return settings, language


def _language(svc: Services, data: TokenData) -> str:
    with reading(svc.engine) as session:
        return page_language(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )


def _renew(svc: Services, settings: Settings, data: TokenData) -> None:
    # Runs after the answer: a failure is logged, never shown.
    try:
        with reading(svc.engine) as session:
            owed = optin.owed_again(
                session, settings, subscriber_id=data.subscriber_id, list_id=data.list_id
            )
        owed = [t for t in owed if svc.address_throttle.hit(email_hash(t.email))]
        optin.send_confirmations(
            settings, svc.transport(), owed, record_in=svc.engine, method="renew"
        )
    except NewsletterError as exc:
        log.error("new confirmation link not sent: %s", exc)
    except SQLAlchemyError as exc:
        log.error("new confirmation link not sent: %s", type(exc).__name__)


def _requested(svc: Services, request: Request) -> PublicEdition | None:
    with reading(svc.engine) as session:
        return requested_edition(session, svc.settings, request)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _sign_up(svc: Services, settings: Settings, address: str, name: str) -> None:
    # Runs after the answer: a failure is logged, never shown (the answer is always the same).
    # ``settings`` are the edition's: sign_up joins their default list (the edition's list).
    try:
        with transaction(svc.engine) as session:
            owed = optin.sign_up(session, settings, email=address, name=name).confirmations
        optin.send_confirmations(settings, svc.transport(), owed)  # recorded by sign_up
    except NewsletterError as exc:
        log.error("sign-up not completed: %s", exc)
    except SQLAlchemyError as exc:
        log.error("sign-up not stored: %s", type(exc).__name__)


def _welcome(svc: Services, target: optin.WelcomeTarget) -> None:
    # Runs after the answer: a failure is logged (the event says it was owed and tried).
    try:
        optin.send_welcome(svc.transport(), target)
    except NewsletterError as exc:
        log.error("welcome email not sent: %s", exc)


def _rehearse(svc: Services, settings: Settings, address: str, name: str) -> None:
    # A bot's sign-up does the same work, rolled back, and builds the email it does not send:
    # the server is as busy as after a real one.
    try:
        with session_factory(svc.engine)() as session:
            owed = optin.rehearse_sign_up(session, settings, email=address, name=name)
        optin.rehearse_confirmations(settings, owed)
    except NewsletterError as exc:
        log.error("rehearsed sign-up failed: %s", exc)
    except SQLAlchemyError as exc:
        log.error("rehearsed sign-up failed: %s", type(exc).__name__)


def _confirm(
    svc: Services, data: TokenData
) -> tuple[optin.Confirmed, Settings, PublicEdition | None]:
    with transaction(svc.engine) as session:
        edition = list_edition(session, svc.settings, data.list_id)
        settings = settings_of(edition, svc.settings)
        confirmed = optin.confirm(
            session,
            settings,
            subscriber_id=data.subscriber_id,
            list_id=data.list_id,
            base=svc.settings,
        )
    return confirmed, settings, edition


def _form(pages: Pages, *, error: str = "", email: str = "", name: str = "") -> Response:
    return pages.response(
        "subscribe.html",
        status_code=400 if error else 200,
        error=error,
        email=email,
        name=name,
        action="",
    )


def _sent(pages: Pages, *, background: BackgroundTask | None = None) -> Response:
    m = pages.messages
    response = pages.message(title=m.subscribe_sent_title, body=m.subscribe_sent_body)
    response.background = background
    return response


def _confirmed(pages: Pages, list_name: str) -> Response:
    m = pages.messages
    return pages.message(title=m.confirmed_title, body=m.confirmed_body.format(list_name=list_name))

"""Unsubscribe: ``GET /unsubscribe/{token}`` shows a page, ``POST`` unsubscribes.

The GET changes nothing, because link scanners and mail-security gateways fetch every link in
an email. The POST comes either from the page's button (method ``link``) or from the mail
client as RFC 8058 one-click (body ``List-Unsubscribe=One-Click``, method ``one-click``), with
no cookies and no other state: the signed token alone authorizes it. It is idempotent and
answers 200 at once; the event records the method and the issue the link came from.

The pages name the list as the edition that sends to the link's list does (the service's
settings for a list of no edition), in the reader's language (their own, else the list's).
The page names the person's other lists and offers "unsubscribe from all" (the same POST
with ``scope=all``) and their preference page; the result page offers to subscribe again to
exactly the list left (a POST to the preference page: pending, confirmed by email).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from newsletter.audience import list_label_of, unsubscribe
from newsletter.db import transaction
from newsletter.models import SubscriptionStatus
from newsletter.preferences import page_language
from newsletter.settings import Settings
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.editions import list_edition, settings_of
from subscribers.links import path_token
from subscribers.pages import Button, Pages
from subscribers.services import Services, services
from subscribers.views import link_view, preferences_path

log = logging.getLogger(__name__)

ONE_CLICK_BODY = b"List-Unsubscribe=One-Click"
MAX_BODY_BYTES = 64 * 1024


async def unsubscribe_page(request: Request) -> Response:
    """The confirm page (masked address, list, button); already unsubscribed: the result."""
    svc = services(request)
    data = path_token(request, TokenPurpose.UNSUBSCRIBE)
    if data is None:
        return svc.pages.invalid_link()
    found = await run_in_threadpool(link_view, svc, data)
    pages = svc.pages.seen_as(found.settings(svc.settings), language=found.language)
    view = found.view
    prefs = preferences_path(svc, data)
    if view.status in (None, SubscriptionStatus.UNSUBSCRIBED):
        return _done(pages, view.list_name, data=data, preferences=prefs, everything=False)
    return pages.response(
        "unsubscribe.html",
        masked_email=view.masked_email,
        list_name=view.list_name,
        action="",
        other_lists=found.other_lists,
        preferences_url=prefs,
    )


async def unsubscribe_post(request: Request) -> Response:
    """Unsubscribe (button or one-click); the same 200 page however often it is repeated."""
    svc = services(request)
    data = path_token(request, TokenPurpose.UNSUBSCRIBE)
    if data is None:
        return svc.pages.invalid_link()
    one_click, everything = await _read_post(request)
    method = "one-click" if one_click else "link"
    done = await run_in_threadpool(_unsubscribe, svc, data, method, everything and not one_click)
    pages = svc.pages.seen_as(done.settings, language=done.language)
    return _done(
        pages,
        done.list_label,
        data=data,
        preferences=preferences_path(svc, data),
        everything=done.everything,
    )


async def _read_post(request: Request) -> tuple[bool, bool]:
    """(one-click?, the page's "unsubscribe from all"?) of an unsubscribe POST."""
    # RFC 8058 clients send a form (urlencoded or multipart); a few send the bare body.
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form(max_fields=20, max_files=0)
        except HTTPException:  # a malformed form counts as the button's POST
            return False, False
        return form.get("List-Unsubscribe") == "One-Click", form.get("scope") == "all"
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return False, False
    return body.strip() == ONE_CLICK_BODY, False


@dataclass(frozen=True)
class _Done:
    list_label: str
    settings: Settings
    language: str
    everything: bool


def _unsubscribe(svc: Services, data: TokenData, method: str, everything: bool) -> _Done:
    # "Unsubscribe from all" (the page's second button) leaves every list, one event each.
    with transaction(svc.engine) as session:
        changed = unsubscribe(
            session,
            subscriber_id=data.subscriber_id,
            list_id=None if everything else data.list_id,
            method=method,
            issue_id=data.issue_id,
        )
        edition = list_edition(session, svc.settings, data.list_id)
        settings = settings_of(edition, svc.settings)
        label = list_label_of(session, settings, data.list_id)
        language = page_language(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
    if changed:
        where = "every list" if everything else f"list {data.list_id}"
        log.info("unsubscribed subscriber %s from %s (%s)", data.subscriber_id, where, method)
    return _Done(label, settings, language, everything)


def _done(
    pages: Pages, list_name: str, *, data: TokenData, preferences: str, everything: bool
) -> Response:
    """The result: subscribe again to exactly this list (a POST to the preference page,
    which asks for a confirmation by email), or manage every list there."""
    m = pages.messages
    if everything:
        title, body = m.unsubscribed_all_title, m.unsubscribed_all_body
    else:
        title, body = m.unsubscribed_title, m.unsubscribed_body.format(list_name=list_name)
    return pages.message(
        title=title,
        body=body,
        button=Button(
            action=preferences,
            label=m.resubscribe_button.format(list_name=list_name),
            id="resubscribe",
            fields=(("do", "rejoin"), ("list", str(data.list_id))),
        ),
        links=[(preferences, m.manage), ("/archive", m.home)],
    )

"""Unsubscribe: ``GET /unsubscribe/{token}`` shows a page, ``POST`` unsubscribes.

The GET changes nothing, because link scanners and mail-security gateways fetch every link in
an email. The POST comes either from the page's button (method ``link``) or from the mail
client as RFC 8058 one-click (body ``List-Unsubscribe=One-Click``, method ``one-click``), with
no cookies and no other state: the signed token alone authorizes it. It is idempotent and
answers 200 at once; the event records the method and the issue the link came from.

The pages are in the language, and name the list as, the edition that sends to the link's
list (the service's settings for a list of no edition).
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
from newsletter.settings import Settings
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.editions import list_edition, settings_of, subscribe_path
from subscribers.links import path_token
from subscribers.pages import Pages
from subscribers.services import Services, services
from subscribers.views import link_view

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
    pages = svc.pages.seen_as(found.settings(svc.settings))
    view = found.view
    if view.status in (None, SubscriptionStatus.UNSUBSCRIBED):
        return _done(pages, view.list_name, subscribe_path(found.edition))
    return pages.response(
        "unsubscribe.html", masked_email=view.masked_email, list_name=view.list_name, action=""
    )


async def unsubscribe_post(request: Request) -> Response:
    """Unsubscribe (button or one-click); the same 200 page however often it is repeated."""
    svc = services(request)
    data = path_token(request, TokenPurpose.UNSUBSCRIBE)
    if data is None:
        return svc.pages.invalid_link()
    method = "one-click" if await _is_one_click(request) else "link"
    done = await run_in_threadpool(_unsubscribe, svc, data, method)
    return _done(svc.pages.seen_as(done.settings), done.list_label, done.subscribe_path)


async def _is_one_click(request: Request) -> bool:
    # RFC 8058 clients send a form (urlencoded or multipart); a few send the bare body.
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        try:
            form = await request.form(max_fields=20, max_files=0)
        except HTTPException:  # a malformed form counts as the button's POST
            return False
        return form.get("List-Unsubscribe") == "One-Click"
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return False
    return body.strip() == ONE_CLICK_BODY


@dataclass(frozen=True)
class _Done:
    list_label: str
    settings: Settings
    subscribe_path: str


def _unsubscribe(svc: Services, data: TokenData, method: str) -> _Done:
    with transaction(svc.engine) as session:
        changed = unsubscribe(
            session,
            subscriber_id=data.subscriber_id,
            list_id=data.list_id,
            method=method,
            issue_id=data.issue_id,
        )
        edition = list_edition(session, svc.settings, data.list_id)
        settings = settings_of(edition, svc.settings)
        label = list_label_of(session, settings, data.list_id)
    if changed:
        log.info(
            "unsubscribed subscriber %s from list %s (%s)", data.subscriber_id, data.list_id, method
        )
    return _Done(label, settings, subscribe_path(edition))


def _done(pages: Pages, list_name: str, resubscribe_url: str) -> Response:
    m = pages.messages
    return pages.message(
        title=m.unsubscribed_title,
        body=m.unsubscribed_body.format(list_name=list_name),
        link_url=resubscribe_url,
        link_text=m.resubscribe,
    )

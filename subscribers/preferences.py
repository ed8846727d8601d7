"""The preference page of every email: ``GET /preferences/{token}`` shows, ``POST`` changes.

The GET changes nothing (link scanners fetch every link of an email). The POST carries
``do``: ``save`` (the lists ticked, ``list`` repeated, and ``language``), ``unsubscribe-all``
or ``rejoin`` (``list``: exactly the list the person left, from the unsubscribe page). The
rules are :mod:`newsletter.preferences`'; this module reads the form and shows the result,
in the reader's language. Confirmation emails owed by a rejoin are sent after the answer,
within the sign-up's per-address limit, and recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from newsletter import optin
from newsletter.audience import email_hash
from newsletter.audience.consent import choice_word
from newsletter.db import transaction
from newsletter.errors import InputError, NewsletterError
from newsletter.preferences import (
    METHOD,
    OwedEmail,
    PreferencesChange,
    PreferencesResult,
    PreferencesView,
    apply_preferences,
    list_settings,
    preferences_view,
    rejoin,
    unsubscribe_everywhere,
)
from newsletter.settings import Settings
from newsletter.tokens import TokenData, TokenPurpose
from subscribers.editions import reading
from subscribers.links import path_token
from subscribers.messages import LANGUAGE_NAMES
from subscribers.pages import Pages
from subscribers.services import Services, services

log = logging.getLogger(__name__)

#: More list ids than this in one form are not a person's (the page shows their lists).
MAX_LISTS = 100


@dataclass(frozen=True)
class _Shown:
    view: PreferencesView | None
    settings: Settings


def _show(svc: Services, data: TokenData) -> _Shown:
    with reading(svc.engine) as session:
        view = preferences_view(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
        return _Shown(view, list_settings(session, svc.settings, data.list_id))


async def preferences_page(request: Request) -> Response:
    """The person's lists, language and "unsubscribe from all" (changes nothing)."""
    svc = services(request)
    data = path_token(request, TokenPurpose.PREFERENCES)
    if data is None:
        return svc.pages.invalid_link()
    shown = await run_in_threadpool(_show, svc, data)
    if shown.view is None:
        return svc.pages.invalid_link()  # erased, or never existed: nobody to show
    return _page(svc, shown.settings, shown.view)


async def preferences_post(request: Request) -> Response:
    """Apply the form; answers with the page as it is now, and a word about what changed."""
    svc = services(request)
    data = path_token(request, TokenPurpose.PREFERENCES)
    if data is None:
        return svc.pages.invalid_link()
    try:
        form = await request.form(max_fields=MAX_LISTS + 10, max_files=0)
    except HTTPException:
        form = FormData()
    action = _text(form, "do")
    try:
        result = await run_in_threadpool(_apply, svc, data, action, form)
    except InputError:
        result = None
    shown = await run_in_threadpool(_show, svc, data)
    if shown.view is None:
        return svc.pages.invalid_link()
    pages = _pages(svc, shown.settings, shown.view)
    m = pages.messages
    if result is None:
        return _page(svc, shown.settings, shown.view, status_code=400, notice=m.invalid_body)
    notes = [m.unsubscribed_all_body if action == "unsubscribe-all" else m.preferences_saved_body]
    if result.rejoined:
        notes.append(m.rejoined_note)
    if result.refused:
        notes.append(m.refused_note)
    response = _page(svc, shown.settings, shown.view, notice=" ".join(notes))
    if result.confirmations:
        response.background = BackgroundTask(_send_owed, svc, result.confirmations)
    return response


def _apply(svc: Services, data: TokenData, action: str, form: FormData) -> PreferencesResult:
    with transaction(svc.engine) as session:
        if action == "unsubscribe-all":
            changed = unsubscribe_everywhere(session, subscriber_id=data.subscriber_id)
            result = PreferencesResult(left_everything=changed)
        elif action == "rejoin":
            result = rejoin(
                session,
                svc.settings,
                subscriber_id=data.subscriber_id,
                list_id=_list_id(_text(form, "list")),
            )
        elif action == "save":
            ids = [_list_id(v) for v in form.getlist("list")[:MAX_LISTS] if isinstance(v, str)]
            language = form.get("language")
            tracking = form.get("tracking")
            change = PreferencesChange(
                lists=frozenset(ids),
                language=language.strip() if isinstance(language, str) else None,
                tracking=tracking.strip() if isinstance(tracking, str) else None,
            )
            result = apply_preferences(
                session, svc.settings, subscriber_id=data.subscriber_id, change=change
            )
        else:
            raise InputError(f"unknown action {action[:20]!r}")
    if result.changed:
        log.info("preferences of subscriber %s changed (%s)", data.subscriber_id, action)
    return result


def _send_owed(svc: Services, owed: list[OwedEmail]) -> None:
    # After the answer; the per-address limit of the sign-up form bounds these emails too.
    for item in owed:
        if not svc.address_throttle.hit(email_hash(item.target.email)):
            log.info("confirmation for subscriber %s over the limit", item.target.subscriber_id)
            continue
        try:
            optin.send_confirmations(
                item.settings, svc.transport(), [item.target], record_in=svc.engine, method=METHOD
            )
        except NewsletterError as exc:
            log.error("confirmation not sent: %s", exc)
        except SQLAlchemyError as exc:
            log.error("confirmation not recorded: %s", type(exc).__name__)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip()[:40] if isinstance(value, str) else ""


def _list_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise InputError("not a list")
    return int(raw)


def _pages(svc: Services, settings: Settings, view: PreferencesView) -> Pages:
    return svc.pages.seen_as(settings, language=view.page_language)


def _page(
    svc: Services,
    settings: Settings,
    view: PreferencesView,
    *,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    pages = _pages(svc, settings, view)
    m = pages.messages
    languages = [("", m.language_follow), *LANGUAGE_NAMES.items()]
    if view.language and view.language not in LANGUAGE_NAMES:
        languages.append((view.language, view.language))  # kept as it is unless changed
    return pages.response(
        "preferences.html",
        status_code=status_code,
        view=view,
        action="",
        notice=notice,
        languages=languages,
        tracking_choices=[
            ("list", m.tracking_follow),
            ("on", m.tracking_on),
            ("off", m.tracking_off),
        ],
        tracking_now=choice_word(view.tracking),
        status_text={
            "active": m.status_active,
            "pending": m.status_pending,
            "unsubscribed": m.status_unsubscribed,
        },
    )

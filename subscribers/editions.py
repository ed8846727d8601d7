"""Which edition a request is about: the sign-up form's (``?edition=SLUG`` or ``?list=NAME``)
and the edition of a personal link's list, whose language and name its pages take.

The questions are the core's (:mod:`newsletter.archive`, :mod:`newsletter.editions`); this
module only reads the request and asks them, in sessions that never write (a page view
changes nothing, not even the default edition the core makes on first use).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.requests import Request

from newsletter.archive import PublicEdition, find_edition, public_edition
from newsletter.db import session_factory
from newsletter.editions import edition_of_list
from newsletter.models import MailingList
from newsletter.settings import Settings

#: Longer query values name no edition or list (slugs are 40 characters, list names 100).
MAX_PARAM_LENGTH = 200


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session whose changes are rolled back: for the lookups of GET pages."""
    with session_factory(engine)() as session:
        try:
            yield session
        finally:
            session.rollback()


def _param(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def requested_edition(
    session: Session, settings: Settings, request: Request
) -> PublicEdition | None:
    """The edition a sign-up request names: ``?edition=SLUG``, or ``?list=NAME`` (the
    edition that sends to that list), or neither (the default edition). None when it names
    no edition (an unknown slug, a list no edition sends to, or a slug and a list that
    disagree): only an edition's own list can be joined from the web."""
    slug = _param(request, "edition")
    list_name = _param(request, "list")
    if any(value is not None and len(value) > MAX_PARAM_LENGTH for value in (slug, list_name)):
        return None
    if list_name is not None:
        edition = edition_of_list(session, settings, list_name)
        if edition is None or (slug is not None and edition.slug != slug):
            return None
        return public_edition(edition, settings)
    found = find_edition(session, slug)
    return None if found is None else public_edition(found, settings)


def list_edition(session: Session, settings: Settings, list_id: int) -> PublicEdition | None:
    """The edition that sends to the list ``list_id``, or None (a list of no edition)."""
    mailing_list = session.get(MailingList, list_id)
    if mailing_list is None:
        return None
    edition = edition_of_list(session, settings, mailing_list.name)
    return None if edition is None else public_edition(edition, settings)


def settings_of(edition: PublicEdition | None, settings: Settings) -> Settings:
    """The settings an edition's pages are made with (the service's without an edition)."""
    return settings if edition is None else edition.settings


def subscribe_path(edition: PublicEdition | None) -> str:
    """The sign-up form of ``edition`` (the default edition's is plain ``/subscribe``)."""
    if edition is None or edition.is_default:
        return "/subscribe"
    return f"/subscribe?edition={quote(edition.slug, safe='')}"

"""The copy of an issue a reader sees: one language, one audience, no marker left.

The stored rendering keeps every language and the per-recipient markers (the send localizes
it per edition and fills it per recipient, see :mod:`newsletter.render.personalize`). Files
written by ``issue render`` and the pages of ``issue preview`` are for people to look at, so
they get a reader's copy instead:

- by default the generic reader's: the edition's language, the greeting without a name, and
  the footer's unsubscribe link pointing at ``{base_url}/unsubscribe/test-send``, a token
  that verifies for nobody (the same inert link as editors' test copies: following it
  changes nothing, and it shows where the real link goes);
- with a subscriber (:func:`subscriber_reader`) that subscriber's copy, exactly as the send
  builds it: their greeting and their real signed unsubscribe link;
- with ``public`` the web archive's copy (a sign-up link, no greeting).

Every copy is checked: a marker left over is a :class:`RenderError`, never a file or page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsletter.errors import InputError
from newsletter.render.errors import RenderError
from newsletter.render.personalize import archive_copy, localize, personalize
from newsletter.render.rendered import RenderedEmail
from newsletter.render.strings import TABLES

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from newsletter.models import Issue
    from newsletter.settings import Settings

#: Every internal marker starts with this (languages, audiences, per-recipient values).
MARKER_PREFIX = "__NEWSLETTER_"
#: The path of the inert unsubscribe link of copies made for nobody in particular.
INERT_UNSUBSCRIBE_PATH = "/unsubscribe/test-send"


@dataclass(frozen=True)
class Reader:
    """Whose copy: ``name`` for the greeting and their ``unsubscribe_url`` ("": the inert
    link). The default is the generic reader."""

    name: str = ""
    unsubscribe_url: str = ""


def reader_language(requested: str, *, settings: Settings) -> str:
    """The table key (``zh``, ``en``) of ``requested``, or of the edition's language
    (``settings.language``, settings seen through the issue's edition) when it is empty.

    A language with no table is an :class:`InputError` naming the ones there are (a silent
    fallback would show the editor another language than the one asked for).
    """
    tag = requested.strip() or settings.language
    key = tag.lower().replace("_", "-").split("-")[0]
    if key in TABLES:
        return key
    if not requested.strip():
        return "zh"  # an edition language without a table: the sends use Chinese too
    known = ", ".join(TABLES)
    raise InputError(f"no strings for language {requested!r}: use one of {known}")


def reader_copy(
    rendered: RenderedEmail,
    settings: Settings,
    *,
    language: str = "",
    reader: Reader | None = None,
    public: bool = False,
) -> RenderedEmail:
    """``rendered`` (a stored or fresh rendering, with its markers) as one reader sees it.

    ``settings`` are the issue's (:func:`~newsletter.editions.issue_settings`); ``language``
    defaults to the edition's; ``reader`` (default: the generic reader, see the module) is
    ignored with ``public``, which gives the web archive's copy. The result's ``language``
    is the table key. Raises :class:`InputError` for a language without strings,
    :class:`ConfigError` without NEWSLETTER_BASE_URL, :class:`RenderError` if a marker is
    left (never expected: the check keeps one from reaching a file, page or email).
    """
    key = reader_language(language, settings=settings)
    base = settings.require_base_url()
    if public:
        copy = archive_copy(rendered, archive_url=f"{base}/archive", language=key)
    else:
        reader = reader or Reader()
        url = reader.unsubscribe_url or f"{base}{INERT_UNSUBSCRIBE_PATH}"
        localized = localize(rendered, language=key, fallback=settings.language)
        copy = personalize(localized, unsubscribe_url=url, name=reader.name)
    require_no_markers(copy.subject, copy.html, copy.text)
    return copy


def source_copy(
    source: str, settings: Settings, *, language: str = "", reader: Reader | None = None
) -> str:
    """The issue's MJML source (or any text made by the issue's templates) with its markers
    resolved as in :func:`reader_copy`: what ``issue render --mjml`` writes."""
    as_email = RenderedEmail(subject="", html=source, text="")
    return reader_copy(as_email, settings, language=language, reader=reader).html


def require_no_markers(*parts: str) -> None:
    """:class:`RenderError` if any of ``parts`` still holds an internal marker."""
    for part in parts:
        at = part.find(MARKER_PREFIX)
        if at >= 0:
            raise RenderError(
                f"an internal marker is left in the reader's copy: {part[at : at + 40]!r}"
            )


def subscriber_reader(session: Session, issue: Issue, settings: Settings, *, email: str) -> Reader:
    """The subscriber ``email`` as a reader of ``issue``: their name and the signed
    unsubscribe link the send puts in their copy (the same token as
    :meth:`~newsletter.sending.personal.IssueMailer.unsubscribe_url`: subscriber, the
    edition's list, the issue).

    ``settings`` are the issue's. :class:`InputError` when there is no such subscriber (or
    it was erased) or they have no subscription to the edition's list (they get no copy).
    """
    # Imported here: the audience and token modules are not needed by the generic copy.
    from sqlalchemy import select

    from newsletter.audience.lists import find_list
    from newsletter.audience.subscribe import find_subscriber
    from newsletter.editions import list_name_of
    from newsletter.models import Subscription
    from newsletter.tokens import TokenIssuer, TokenPurpose

    subscriber = find_subscriber(session, email)
    if subscriber is None or subscriber.email is None:
        raise InputError(f"no subscriber {email}")
    edition = issue.edition
    list_name = settings.default_list if edition is None else list_name_of(settings, edition)
    mailing_list = find_list(session, list_name)
    subscribed = mailing_list is not None and session.scalar(
        select(Subscription.id).where(
            Subscription.subscriber_id == subscriber.id,
            Subscription.list_id == mailing_list.id,
        )
    )
    if mailing_list is None or subscribed is None:
        raise InputError(f"{email} has no subscription to the list {list_name!r} of this issue")
    token = TokenIssuer(settings, purpose=TokenPurpose.UNSUBSCRIBE).make(
        subscriber_id=subscriber.id, list_id=mailing_list.id, issue_id=issue.id
    )
    return Reader(
        name=subscriber.name, unsubscribe_url=f"{settings.require_base_url()}/unsubscribe/{token}"
    )


def reader_lookup(engine: Engine, *, issue_id: int, settings: Settings) -> Callable[[str], Reader]:
    """:func:`subscriber_reader` of the issue ``issue_id`` as a function of the address,
    each call in a transaction of its own (for a server that answers ``?as=EMAIL``)."""
    from newsletter import db
    from newsletter.models import Issue

    def find(email: str) -> Reader:
        with db.transaction(engine) as session:
            issue = session.get(Issue, issue_id)
            if issue is None:
                raise InputError(f"the issue {issue_id} is gone")
            return subscriber_reader(session, issue, settings, email=email)

    return find

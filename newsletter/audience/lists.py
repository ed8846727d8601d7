"""Mailing lists: named, created on demand, renamed, removed; an issue is sent to one list.

A removed list is hidden, not deleted (:class:`~newsletter.models.MailingList`): its
subscriptions and their events stay, so an address that unsubscribed from it is still known
to have done so if the list is created again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from newsletter.audience.mailable import good_standing
from newsletter.audience.unsubscribe import unsubscribe
from newsletter.errors import InputError, NotFoundError, StateError
from newsletter.models import (
    Edition,
    EventKind,
    MailingList,
    Subscriber,
    SubscriberEvent,
    Subscription,
    SubscriptionStatus,
)
from newsletter.models.base import utcnow
from newsletter.settings import Settings
from newsletter.text import clean_text, remove_controls

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500


def _checked_list_name(name: str) -> str:
    cleaned = remove_controls(name).strip()
    if not cleaned:
        raise InputError("a list needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InputError(f"list name longer than {MAX_NAME_LENGTH} characters")
    return cleaned


def find_list(session: Session, name: str) -> MailingList | None:
    """The list called ``name``, or None (also for a removed list)."""
    return session.scalar(
        select(MailingList).where(
            MailingList.name == name.strip(), MailingList.removed_at.is_(None)
        )
    )


def _any_list(session: Session, name: str) -> MailingList | None:
    # Removed lists included: a name stays taken by its removed list, which comes back.
    return session.scalar(select(MailingList).where(MailingList.name == name))


def get_list(session: Session, name: str) -> MailingList:
    """The list called ``name``; :class:`NotFoundError` if there is none."""
    found = find_list(session, name)
    if found is None:
        raise NotFoundError(f"no list named {name.strip()!r}")
    return found


def get_or_create_list(session: Session, name: str) -> MailingList:
    """The list called ``name``, created (and flushed, so it has an id) if missing."""
    cleaned = _checked_list_name(name)
    found = _any_list(session, cleaned)
    if found is not None:
        found.removed_at = None  # a removed list comes back with its history
        return found
    created = MailingList(name=cleaned, description="")
    session.add(created)
    session.flush()
    return created


def create_list(session: Session, name: str, *, description: str = "") -> MailingList:
    """A new list; :class:`StateError` if one with that name exists. A removed list of that
    name comes back (with its unsubscribes: nobody who left it is on it again)."""
    cleaned = _checked_list_name(name)
    description = clean_text(description).strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InputError(f"description longer than {MAX_DESCRIPTION_LENGTH} characters")
    existing = _any_list(session, cleaned)
    if existing is not None and existing.removed_at is None:
        raise StateError(f"a list named {cleaned!r} exists already")
    if existing is not None:
        existing.removed_at = None
        existing.description = description
        session.flush()
        return existing
    created = MailingList(name=cleaned, description=description)
    session.add(created)
    session.flush()
    return created


def list_label(settings: Settings, mailing_list: MailingList | None) -> str:
    """The name a reader knows the list by (in emails and pages): the newsletter's name for
    the default list, else the list's description or name. The same whichever front end asks."""
    if mailing_list is None or mailing_list.name == settings.default_list:
        return settings.newsletter_name
    return mailing_list.description or mailing_list.name


def list_label_of(session: Session, settings: Settings, list_id: int) -> str:
    """:func:`list_label` of the list with id ``list_id`` (the newsletter's name if none)."""
    return list_label(settings, session.get(MailingList, list_id))


def list_summaries(session: Session) -> list[dict[str, Any]]:
    """Every list with its subscription counts by status and how many can be mailed now
    (by the send's own rule, :mod:`newsletter.audience.mailable`: suppressions included)."""
    counts: dict[int, dict[str, int]] = {}
    rows = session.execute(
        select(Subscription.list_id, Subscription.status, func.count())
        .group_by(Subscription.list_id, Subscription.status)
        .order_by(Subscription.list_id)
    )
    for list_id, status, n in rows:
        counts.setdefault(list_id, {})[SubscriptionStatus(status).value] = n
    mailable = dict(
        session.execute(
            select(Subscription.list_id, func.count())
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscription.status == SubscriptionStatus.ACTIVE, good_standing())
            .group_by(Subscription.list_id)
        ).all()
    )
    result = []
    for lst in session.scalars(
        select(MailingList).where(MailingList.removed_at.is_(None)).order_by(MailingList.name)
    ):
        by_status = counts.get(lst.id, {})
        result.append(
            {
                "id": lst.id,
                "name": lst.name,
                "description": lst.description,
                "created_at": lst.created_at,
                **{s.value: by_status.get(s.value, 0) for s in SubscriptionStatus},
                "mailable": mailable.get(lst.id, 0),
            }
        )
    return result


def _edition_lists(session: Session, settings: Settings) -> set[str]:
    """The names of the lists editions send to (the default list included)."""
    names = session.scalars(select(Edition.list_name)).all()
    return {settings.default_list, *(name or settings.default_list for name in names)}


def _record_list_change(session: Session, mailing_list: MailingList, detail: str) -> None:
    # One event per person on the list, so that each history says what became of it.
    people = session.scalars(
        select(Subscription.subscriber_id).where(Subscription.list_id == mailing_list.id)
    ).all()
    session.add_all(
        SubscriberEvent(
            subscriber_id=person,
            list_id=mailing_list.id,
            kind=EventKind.LIST_CHANGED,
            method="operator",
            detail=detail,
        )
        for person in people
    )


def rename_list(session: Session, settings: Settings, *, old: str, new: str) -> MailingList:
    """Rename the list ``old`` to ``new``; editions sending to it follow the new name.

    :class:`NotFoundError` if there is no list ``old``; :class:`StateError` if ``new`` is
    taken (a removed list keeps its name) or ``old`` is NEWSLETTER_DEFAULT_LIST (a setting
    names it: change the setting, not the list). Every person on the list gets a
    ``list_changed`` event naming both names.
    """
    mailing_list = get_list(session, old)
    cleaned = _checked_list_name(new)
    if mailing_list.name == settings.default_list:
        raise StateError(
            f"{mailing_list.name!r} is NEWSLETTER_DEFAULT_LIST: a setting names it, so it "
            "cannot be renamed here"
        )
    if cleaned == mailing_list.name:
        return mailing_list
    if _any_list(session, cleaned) is not None:
        raise StateError(f"a list named {cleaned!r} exists already (or was removed)")
    previous = mailing_list.name
    session.execute(update(Edition).where(Edition.list_name == previous).values(list_name=cleaned))
    mailing_list.name = cleaned
    _record_list_change(session, mailing_list, f"list renamed from {previous!r} to {cleaned!r}")
    session.flush()
    return mailing_list


@dataclass(frozen=True)
class Removed:
    """A removed list and how many people were unsubscribed from it by the removal."""

    name: str
    unsubscribed: int


def remove_list(session: Session, settings: Settings, *, name: str, force: bool = False) -> Removed:
    """Remove the list ``name``: hidden from every lookup, its history kept.

    :class:`StateError` for the default list or a list an edition sends to, and, unless
    ``force``, for a list with subscribers (active or pending). With ``force`` they are
    unsubscribed first (method ``operator``, one event each). Its unsubscribes stay: if the
    list is created again, nobody who left it is on it.
    """
    mailing_list = get_list(session, name)
    if mailing_list.name in _edition_lists(session, settings):
        raise StateError(
            f"an edition sends to {mailing_list.name!r} (or it is NEWSLETTER_DEFAULT_LIST): "
            "it cannot be removed"
        )
    members = session.scalars(
        select(Subscription.subscriber_id).where(
            Subscription.list_id == mailing_list.id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
    ).all()
    if members and not force:
        raise StateError(
            f"list {mailing_list.name!r} has {len(members)} subscriber(s): "
            "remove it with --force to unsubscribe them"
        )
    for person in members:
        unsubscribe(
            session,
            subscriber_id=person,
            list_id=mailing_list.id,
            method="operator",
            detail="list removed",
        )
    _record_list_change(session, mailing_list, f"list {mailing_list.name!r} removed")
    mailing_list.removed_at = utcnow()
    session.flush()
    return Removed(mailing_list.name, len(members))

"""Mailing lists: named, created on demand; an issue is sent to one list."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsletter.audience.mailable import good_standing
from newsletter.audience.profile import strip_controls
from newsletter.errors import InputError, NotFoundError, StateError
from newsletter.models import (
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from newsletter.settings import Settings

MAX_NAME_LENGTH = 100
MAX_DESCRIPTION_LENGTH = 500


def _checked_list_name(name: str) -> str:
    cleaned = strip_controls(name).strip()
    if not cleaned:
        raise InputError("a list needs a name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InputError(f"list name longer than {MAX_NAME_LENGTH} characters")
    return cleaned


def find_list(session: Session, name: str) -> MailingList | None:
    """The list called ``name``, or None."""
    return session.scalar(select(MailingList).where(MailingList.name == name.strip()))


def get_list(session: Session, name: str) -> MailingList:
    """The list called ``name``; :class:`NotFoundError` if there is none."""
    found = find_list(session, name)
    if found is None:
        raise NotFoundError(f"no list named {name.strip()!r}")
    return found


def get_or_create_list(session: Session, name: str) -> MailingList:
    """The list called ``name``, created (and flushed, so it has an id) if missing."""
    cleaned = _checked_list_name(name)
    found = find_list(session, cleaned)
    if found is not None:
        return found
    created = MailingList(name=cleaned, description="")
    session.add(created)
    session.flush()
    return created


def create_list(session: Session, name: str, *, description: str = "") -> MailingList:
    """A new list; :class:`StateError` if one with that name exists."""
    cleaned = _checked_list_name(name)
    description = strip_controls(description, keep="\n\t").strip()
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise InputError(f"description longer than {MAX_DESCRIPTION_LENGTH} characters")
    if find_list(session, cleaned) is not None:
        raise StateError(f"a list named {cleaned!r} exists already")
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
    for lst in session.scalars(select(MailingList).order_by(MailingList.name)):
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

"""Reading the audience back (a snapshot of its tables, a subscriber's events), and the
tokens that emails to a person carry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from newsletter.db import transaction
from newsletter.models import MailingList, Subscriber, SubscriberEvent, Subscription
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, make_token
from tests.support.factories import Person


def person_token(
    settings: Settings,
    person: Person,
    purpose: TokenPurpose,
    *,
    issue_id: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A token of ``purpose`` for ``person`` on their list."""
    return make_token(
        settings,
        purpose=purpose,
        subscriber_id=person.subscriber_id,
        list_id=person.list_id,
        issue_id=issue_id,
        now=now,
    )


def unsubscribe_token(settings: Settings, person: Person, issue_id: int | None = None) -> str:
    """The unsubscribe token an email to ``person`` carries."""
    return person_token(settings, person, TokenPurpose.UNSUBSCRIBE, issue_id=issue_id)


def confirm_token(settings: Settings, person: Person, *, now: dt.datetime | None = None) -> str:
    """The confirm token of ``person``'s double opt-in email."""
    return person_token(settings, person, TokenPurpose.CONFIRM, now=now)


@dataclass(frozen=True)
class DbState:
    """Everything a request could change about the audience."""

    subscriptions: tuple[tuple[int, int, str], ...]
    subscribers: tuple[tuple[int, str, int], ...]
    events: int
    lists: int


def db_state(engine: Engine) -> DbState:
    """A snapshot of the audience tables."""
    with transaction(engine) as session:
        subs = session.execute(
            select(Subscription.subscriber_id, Subscription.list_id, Subscription.status).order_by(
                Subscription.id
            )
        ).all()
        people = session.execute(
            select(Subscriber.id, Subscriber.status, Subscriber.soft_bounces).order_by(
                Subscriber.id
            )
        ).all()
        events = session.scalar(select(func.count()).select_from(SubscriberEvent)) or 0
        lists = session.scalar(select(func.count()).select_from(MailingList)) or 0
    return DbState(
        tuple((a, b, str(c)) for a, b, c in subs),
        tuple((a, str(b), c) for a, b, c in people),
        events,
        lists,
    )


def events_of(engine: Engine, subscriber_id: int) -> list[SubscriberEvent]:
    """The subscriber's events, oldest first."""
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(SubscriberEvent)
                .where(SubscriberEvent.subscriber_id == subscriber_id)
                .order_by(SubscriberEvent.id)
            )
        )

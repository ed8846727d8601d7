"""The person's own preference page: what it shows, and every change made on it.

Reached from every email through a signed link (:data:`~newsletter.tokens.TokenPurpose.
PREFERENCES`, carrying the subscriber and the list the email came from). It shows the
person's lists (removed lists left out) with their state and the person's language, and
changes them: leave or rejoin lists, choose a language, unsubscribe from everything.

Rules (the web page only presents them):

* leaving a list records an ``unsubscribed`` event (method ``preferences``);
* rejoining a list the person left never makes it active: it becomes pending and a
  confirmation email is owed (double opt-in again, as the law and mailbox providers
  expect); an address that bounced, complained or was erased is never brought back;
* a new language is one of :data:`LANGUAGES` and records a ``language_changed`` event;
* pages, like emails, speak the reader's language when there is a table for it, else the
  language of the list (its edition's).

Every function works in the caller's session; the caller commits, then sends the owed
confirmation emails (:func:`newsletter.optin.send_confirmations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.audience import list_label, mask_email, unsubscribe
from newsletter.audience.consent import checked_choice as checked_tracking
from newsletter.audience.consent import set_tracking_choice
from newsletter.audience.history import add_event, suppression_reason
from newsletter.audience.subscribe import resubscribe
from newsletter.editions import edition_of_list, edition_settings
from newsletter.errors import InputError
from newsletter.models import (
    EventKind,
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.optin.owed import ConfirmationTarget, confirmation_targets
from newsletter.render.strings import TABLES
from newsletter.settings import Settings

#: How changes made on the page are recorded on their events.
METHOD = "preferences"

#: The languages a reader can choose: "" follows the list's language.
LANGUAGES = ("", "zh-CN", "en")


def has_table(language: str) -> bool:
    """Whether there are words (emails, pages) for the language tag ``language``."""
    return language.strip().lower().replace("_", "-").split("-")[0] in TABLES


def reader_language(own: str, list_language: str) -> str:
    """The language a reader's pages are in: their own (``own``) if there are words for it,
    else their list's."""
    return own if own and has_table(own) else list_language


def list_settings(session: Session, settings: Settings, list_id: int) -> Settings:
    """The settings seen through the edition that sends to ``list_id`` (``settings`` for a
    list of no edition): its language, name and sender."""
    mailing_list = session.get(MailingList, list_id)
    if mailing_list is None:
        return settings
    edition = edition_of_list(session, settings, mailing_list.name)
    return settings if edition is None else edition_settings(settings, edition)


@dataclass(frozen=True)
class ListChoice:
    """One of the person's lists: its id, the name readers know it by, its state."""

    list_id: int
    label: str
    status: SubscriptionStatus


@dataclass(frozen=True)
class PreferencesView:
    """What the preference page shows (never the full address)."""

    subscriber_id: int
    masked_email: str
    #: The stored language ("" follows the list).
    language: str
    #: The person's tracking choice (None: the list decides).
    tracking: bool | None
    #: The language the page is in (:func:`reader_language`).
    page_language: str
    lists: list[ListChoice]
    #: False for an address that bounced or complained: nothing can be rejoined.
    in_good_standing: bool
    #: The list of the email the link came from.
    link_list_id: int

    @property
    def subscribed(self) -> list[ListChoice]:
        """The lists the person is on (active or pending)."""
        return [c for c in self.lists if c.status is not SubscriptionStatus.UNSUBSCRIBED]


def _person(session: Session, subscriber_id: int) -> Subscriber | None:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.email is None:
        return None  # unknown, or erased: the link names nobody any more
    return subscriber


def preferences_view(
    session: Session, settings: Settings, *, subscriber_id: int, list_id: int
) -> PreferencesView | None:
    """The page of ``subscriber_id`` reached from an email of ``list_id`` (ids from a
    verified token); None when the person is unknown or erased. Reads only."""
    subscriber = _person(session, subscriber_id)
    if subscriber is None:
        return None
    rows = session.execute(
        select(Subscription.list_id, Subscription.status, MailingList)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(Subscription.subscriber_id == subscriber_id, MailingList.removed_at.is_(None))
        .order_by(MailingList.name)
    ).all()
    choices = [
        ListChoice(lid, list_label(list_settings(session, settings, lid), lst), status)
        for lid, status, lst in rows
    ]
    link_settings = list_settings(session, settings, list_id)
    return PreferencesView(
        subscriber_id=subscriber_id,
        masked_email=mask_email(subscriber.email),
        language=subscriber.language,
        tracking=subscriber.tracking,
        page_language=reader_language(subscriber.language, link_settings.language),
        lists=choices,
        in_good_standing=_in_good_standing(session, subscriber),
        link_list_id=list_id,
    )


def page_language(session: Session, settings: Settings, *, subscriber_id: int, list_id: int) -> str:
    """The language of any page of a personal link (unsubscribe, confirm, preferences):
    the reader's own if there are words for it, else their list's edition's."""
    subscriber = session.get(Subscriber, subscriber_id)
    own = subscriber.language if subscriber is not None else ""
    return reader_language(own, list_settings(session, settings, list_id).language)


def _in_good_standing(session: Session, subscriber: Subscriber) -> bool:
    return (
        subscriber.status is SubscriberStatus.OK
        and suppression_reason(session, subscriber.email_hash) is None
    )


@dataclass(frozen=True)
class PreferencesChange:
    """What the page asks for: the lists to be on (every other list of the person is left)
    and the language (None: unchanged)."""

    lists: frozenset[int]
    language: str | None = None
    #: ``on``, ``off``, ``list``; None: unchanged.
    tracking: str | None = None


@dataclass(frozen=True)
class OwedEmail:
    """A confirmation email owed, with the settings it is sent with (its list's edition's:
    language, name, sender)."""

    settings: Settings
    target: ConfirmationTarget


@dataclass
class PreferencesResult:
    """What a change did: lists left and rejoined (pending), whether the language changed,
    and the confirmation emails owed for the lists rejoined."""

    left: list[int] = field(default_factory=list)
    rejoined: list[int] = field(default_factory=list)
    language_changed: bool = False
    tracking_changed: bool = False
    refused: list[int] = field(default_factory=list)
    confirmations: list[OwedEmail] = field(default_factory=list)
    #: "Unsubscribe from all" left at least one list.
    left_everything: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything was stored."""
        return bool(
            self.left
            or self.rejoined
            or self.language_changed
            or self.tracking_changed
            or self.left_everything
        )


def checked_choice(language: str) -> str:
    """``language`` if it is one of :data:`LANGUAGES`; :class:`InputError` otherwise."""
    if language not in LANGUAGES:
        raise InputError(f"not a language the page offers: {language!r}")
    return language


def apply_preferences(
    session: Session, settings: Settings, *, subscriber_id: int, change: PreferencesChange
) -> PreferencesResult:
    """Make the person's lists and language what ``change`` says (idempotent).

    Lists not in ``change.lists`` that the person is on are left; lists in it that the
    person left are rejoined as pending (a confirmation email owed for each), unless the
    address is not in good standing (``refused``). Ids of lists that are not the person's
    are ignored: the page only offers the person's own lists. :class:`InputError` for a new
    language the page does not offer (nothing is changed then).
    """
    result = PreferencesResult()
    view = preferences_view(session, settings, subscriber_id=subscriber_id, list_id=0)
    if view is None:
        return result
    language = change.language
    if language is not None and language != view.language:
        checked_choice(language)  # a stored language the page does not offer may stay
    for choice in view.lists:
        wanted = choice.list_id in change.lists
        on = choice.status is not SubscriptionStatus.UNSUBSCRIBED
        if on and not wanted:
            if unsubscribe(
                session, subscriber_id=subscriber_id, list_id=choice.list_id, method=METHOD
            ):
                result.left.append(choice.list_id)
        elif wanted and not on:
            _rejoin(
                session, settings, subscriber_id=subscriber_id, list_id=choice.list_id, into=result
            )
    if language is not None:
        result.language_changed = _set_language(session, subscriber_id, language)
    if change.tracking is not None:
        result.tracking_changed = set_tracking_choice(
            session,
            subscriber_id=subscriber_id,
            choice=checked_tracking(change.tracking),
            method=METHOD,
        )
    session.flush()
    return result


def unsubscribe_everywhere(session: Session, *, subscriber_id: int) -> bool:
    """ "Unsubscribe from all": every list, pending ones too (one event per list left)."""
    return unsubscribe(session, subscriber_id=subscriber_id, list_id=None, method=METHOD)


def rejoin(
    session: Session, settings: Settings, *, subscriber_id: int, list_id: int
) -> PreferencesResult:
    """Subscribe again to exactly the list ``list_id`` the person left: pending, with a
    confirmation email owed. Nothing for a list the person is on, or was never on."""
    result = PreferencesResult()
    if _person(session, subscriber_id) is not None:
        _rejoin(session, settings, subscriber_id=subscriber_id, list_id=list_id, into=result)
    return result


def _rejoin(
    session: Session,
    settings: Settings,
    *,
    subscriber_id: int,
    list_id: int,
    into: PreferencesResult,
) -> None:
    mailing_list = session.get(MailingList, list_id)
    if mailing_list is None or mailing_list.removed_at is not None:
        return
    outcome = resubscribe(session, subscriber_id=subscriber_id, list_id=list_id, method=METHOD)
    if outcome == "refused":
        into.refused.append(list_id)
    elif outcome == "pending":
        into.rejoined.append(list_id)
        seen_as = list_settings(session, settings, list_id)
        into.confirmations.extend(
            OwedEmail(seen_as, target)
            for target in confirmation_targets(
                session, seen_as, list_id=list_id, subscriber_ids=[subscriber_id]
            )
        )


def _set_language(session: Session, subscriber_id: int, language: str) -> bool:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.language == language:
        return False
    previous = subscriber.language
    subscriber.language = language
    add_event(
        session,
        subscriber_id=subscriber_id,
        kind=EventKind.LANGUAGE_CHANGED,
        method=METHOD,
        detail=f"{previous or '(the list)'} -> {language or '(the list)'}",
    )
    return True

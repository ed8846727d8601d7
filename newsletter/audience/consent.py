"""A subscriber's own choice about open and click tracking, over the list's.

A list is tracked or not (``report tracking LIST --on``); a person may decline tracking
whatever the list says (their copy is then untracked: no tagged links, no SES open pixel,
through the untracked configuration set), or leave it to the list. The choice comes from
the preference page, a CSV column, or the CLI, and each change is an event in their history.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from newsletter.audience.history import add_event
from newsletter.errors import InputError
from newsletter.models import EventKind, Subscriber

#: The words for each choice, in commands, forms and history.
CHOICES: dict[str, bool | None] = {"on": True, "off": False, "list": None}


def choice_word(value: bool | None) -> str:
    """``on``, ``off`` or ``list`` (the list decides)."""
    return next(word for word, v in CHOICES.items() if v is value)


def checked_choice(word: str) -> bool | None:
    """The choice a word names; :class:`InputError` for another word."""
    key = word.strip().lower()
    if key not in CHOICES:
        raise InputError(f"tracking is one of on, off or list, not {word[:20]!r}")
    return CHOICES[key]


def set_tracking_choice(
    session: Session, *, subscriber_id: int, choice: bool | None, method: str
) -> bool:
    """Store the person's tracking choice; True when it changed (an event is recorded)."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None or subscriber.tracking is choice:
        return False
    previous = subscriber.tracking
    subscriber.tracking = choice
    add_event(
        session,
        subscriber_id=subscriber_id,
        kind=EventKind.TRACKING_CHANGED,
        method=method,
        detail=f"{choice_word(previous)} -> {choice_word(choice)}",
    )
    session.flush()
    return True

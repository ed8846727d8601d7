"""What the feedback stage says before a send starts: whether it may, and how it is sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from newsletter.audience.lists import find_list
from newsletter.db import transaction
from newsletter.editions import get_edition, list_name_of
from newsletter.feedback.guard import guard_send
from newsletter.feedback.tracking import is_tracked, sending_settings
from newsletter.settings import Settings


def before_send(
    engine: Engine,
    settings: Settings,
    *,
    list_name: str | None,
    issue_date: dt.date | None = None,
    force: bool = False,
    edition: str | None = None,
) -> Settings:
    """Run the send guard for the list (default: the edition's; :class:`~newsletter.
    feedback.guard.GuardError` when its rates are too high and not ``force``), and return
    the settings to send with: the tracking configuration set for a tracked list, the plain
    one otherwise."""
    with transaction(engine) as session:
        chosen = get_edition(session, edition)
        name = list_name or list_name_of(settings, chosen)
        edition_id = chosen.id
    guard_send(engine, list_name=name, issue_date=issue_date, edition_id=edition_id, force=force)
    with transaction(engine) as session:
        mailing_list = find_list(session, name)
        tracked = mailing_list is not None and is_tracked(session, list_id=mailing_list.id)
    return sending_settings(settings, tracked=tracked)

"""Giving up the rest of a send: what was not sent is left unsent, for the record.

After the breaker paused a send (or an operator decides the issue must not reach the rest of
the list), `send abandon` closes it: every row not sent becomes ``skipped`` with the reason,
a finished run records the decision (so the daily job and a resumed send see a send that is
over), and the issue is marked sent: it is out, and frozen, with what did go out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, update

from newsletter.audience import get_list
from newsletter.compose import get_issue
from newsletter.db import rowcount, transaction
from newsletter.editions import edition_settings, get_edition, list_name_of
from newsletter.errors import StateError
from newsletter.lifecycle import mark_sent, start_sending
from newsletter.models import Delivery, DeliveryState
from newsletter.models.base import utcnow
from newsletter.sending import runs
from newsletter.settings import Settings

ABANDONED = "abandoned by the operator"


@dataclass(frozen=True)
class Abandoned:
    """What `send abandon` did."""

    date: str
    edition: str
    list_name: str
    skipped: int
    sent: int


def abandon_send(
    engine: Engine,
    settings: Settings,
    *,
    date: dt.date,
    edition: str | None = None,
    list_name: str | None = None,
    reason: str = "",
) -> Abandoned:
    """Close the send of the issue of ``date`` to the list: the rows not sent are skipped,
    the run recorded as finished, the issue marked sent. :class:`StateError` while a run of
    it is running (stop it first), or when nothing was ever sent of it."""
    note = f"{ABANDONED}: {reason}" if reason else ABANDONED
    with transaction(engine) as session:
        chosen = get_edition(session, edition)
        issue = get_issue(session, date, edition=chosen)
        name = list_name or list_name_of(edition_settings(settings, chosen), chosen)
        mailing_list = get_list(session, name)
        running = runs.running_run_id(session, issue_id=issue.id)
        if running is not None:
            raise StateError(
                f"run {running} of the issue of {date.isoformat()} is running: stop it first"
            )
        rows = (Delivery.issue_id == issue.id, Delivery.list_id == mailing_list.id)
        total = session.scalar(select(func.count()).where(*rows)) or 0
        if not total:
            raise StateError(
                f"nothing of the issue of {date.isoformat()} was sent to {name!r}: "
                "there is no send to abandon"
            )
        result = session.execute(
            update(Delivery)
            .where(*rows, Delivery.state != DeliveryState.SENT)
            .where(Delivery.state != DeliveryState.SKIPPED)
            .values(state=DeliveryState.SKIPPED, error=note, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        now = utcnow()
        runs.record_closed_run(
            session, issue_id=issue.id, list_id=mailing_list.id, mode="abandon", reason=note
        )
        start_sending(issue)
        mark_sent(issue, now=now)
        sent = session.scalar(
            select(func.count()).where(*rows, Delivery.state == DeliveryState.SENT)
        )
        return Abandoned(date.isoformat(), chosen.slug, name, rowcount(result), int(sent or 0))

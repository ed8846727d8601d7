"""The send guard: no new send to a list whose recent complaint or bounce rate would hurt the
account. ``send issue`` and ``daily`` ask :func:`check_send_guard` before they start.

Over the last :data:`WINDOW_DAYS` days of messages to the list, a complaint rate at or above
Gmail's 0.3% (where Gmail starts rejecting mail) or a bounce rate at or above SES's 5% review
threshold stops the send with an error naming the figure and the threshold. ``force``
overrides it; the override is recorded (and shown by ``report issue`` and ``report list``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from newsletter.audience.lists import find_list
from newsletter.db import transaction
from newsletter.errors import StateError
from newsletter.feedback.rates import (
    GMAIL_SPAM,
    SES_REVIEW_BOUNCE,
    Rates,
    percent,
    rates_by_issue,
    total,
)
from newsletter.models import GuardOverride, Issue

WINDOW_DAYS = 30
COMPLAINT_LIMIT = GMAIL_SPAM
BOUNCE_LIMIT = SES_REVIEW_BOUNCE


class GuardError(StateError):
    """The list's recent rates are at or over a threshold; ``--force`` sends anyway."""


@dataclass(frozen=True)
class GuardVerdict:
    """The rates the guard looked at and what it found wrong (empty: the send may start)."""

    rates: Rates
    problems: tuple[str, ...]
    forced: bool = False

    @property
    def ok(self) -> bool:
        """Nothing over a threshold."""
        return not self.problems


def _over(rate: Fraction | None, limit: Fraction) -> bool:
    return rate is not None and rate >= limit


def evaluate(rates: Rates) -> tuple[str, ...]:
    """The thresholds ``rates`` reach, each as ``"complaint rate 0.30% (30 of 10000) ..."``."""
    problems: list[str] = []
    if _over(rates.complaint_rate, COMPLAINT_LIMIT):
        problems.append(
            f"complaint rate {percent(rates.complaint_rate)} ({rates.complained} of "
            f"{rates.sent}) is at or above {percent(COMPLAINT_LIMIT)} (Gmail)"
        )
    if _over(rates.bounce_rate, BOUNCE_LIMIT):
        problems.append(
            f"bounce rate {percent(rates.bounce_rate)} ({rates.hard_bounced} of "
            f"{rates.sent}) is at or above {percent(BOUNCE_LIMIT)} (SES review)"
        )
    return tuple(problems)


def check_send_guard(
    session: Session,
    *,
    list_id: int,
    list_name: str,
    issue_id: int | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> GuardVerdict:
    """Raise :class:`GuardError` if the list's last-30-days rates reach a threshold.

    With ``force`` the verdict is returned instead and the override is recorded in
    ``session`` (for the reports). The caller commits.
    """
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=WINDOW_DAYS)
    rates = total(rates_by_issue(session, list_id=list_id, since=since))
    problems = evaluate(rates)
    if not problems:
        return GuardVerdict(rates, ())
    reason = "; ".join(problems)
    if not force:
        raise GuardError(
            f"list {list_name!r}, last {WINDOW_DAYS} days: {reason}; not sending "
            "(--force sends anyway)"
        )
    session.add(GuardOverride(list_id=list_id, issue_id=issue_id, reason=reason))
    session.flush()
    return GuardVerdict(rates, problems, forced=True)


def guard_send(
    engine: Engine,
    *,
    list_name: str,
    issue_date: dt.date | None = None,
    edition_id: int | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> GuardVerdict | None:
    """:func:`check_send_guard` for the list called ``list_name``, in a transaction of its own.

    None when the list does not exist yet (it has no history to judge).
    """
    with transaction(engine) as session:
        mailing_list = find_list(session, list_name)
        if mailing_list is None:
            return None
        issue_id = None
        if issue_date is not None:
            query = select(Issue.id).where(Issue.date == issue_date)
            if edition_id is not None:
                query = query.where(Issue.edition_id == edition_id)
            issue_id = session.scalar(query.order_by(Issue.id).limit(1))
        return check_send_guard(
            session,
            list_id=mailing_list.id,
            list_name=mailing_list.name,
            issue_id=issue_id,
            force=force,
            now=now,
        )

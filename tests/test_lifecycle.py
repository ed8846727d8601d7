"""The issue's life cycle: one module answers "is it out", "is it public", "what is shown"."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, select

from newsletter import lifecycle
from newsletter.db import transaction
from newsletter.editions import default_edition
from newsletter.errors import StateError
from newsletter.models import Issue, IssueStatus
from tests.support.factories import add_issue

DAY = dt.date(2025, 8, 14)
NOW = dt.datetime(2025, 8, 14, 7, 0, tzinfo=dt.UTC)


def _issue(status: IssueStatus = IssueStatus.DRAFT) -> Issue:
    return Issue(date=DAY, subject="AI 日报", sections=[], status=status)


def _status(issue: Issue) -> IssueStatus:
    return issue.status  # read through a call: each step changes it


def test_the_life_of_an_issue() -> None:
    issue = _issue()
    assert lifecycle.needs_rendering(issue)
    assert not lifecycle.is_out(issue)
    lifecycle.mark_rendered(issue, subject="s", html="<p>h</p>", text="t", now=NOW)
    assert _status(issue) is IssueStatus.RENDERED
    assert not lifecycle.shows_stored_rendering(issue)  # not out yet: a fresh rendering
    lifecycle.start_sending(issue)
    assert _status(issue) is IssueStatus.SENDING
    assert lifecycle.is_out(issue)
    assert lifecycle.shows_stored_rendering(issue)
    lifecycle.start_sending(issue)  # a resumed send changes nothing
    assert _status(issue) is IssueStatus.SENDING
    lifecycle.mark_sent(issue, now=NOW)
    later = NOW + dt.timedelta(hours=1)
    lifecycle.mark_sent(issue, now=later)  # a retry's finish keeps the first time
    assert (_status(issue), issue.sent_at) == (IssueStatus.SENT, NOW)


@pytest.mark.parametrize("status", [IssueStatus.SENDING, IssueStatus.SENT])
def test_an_issue_that_is_out_is_frozen(status: IssueStatus) -> None:
    issue = _issue(status)
    with pytest.raises(StateError, match=rf"^the issue of 2025-08-14 is {status.value}: no$"):
        lifecycle.require_changeable(issue, refusal="no")
    with pytest.raises(StateError):
        lifecycle.mark_rendered(issue, subject="s", html="h", text="t", now=NOW)
    lifecycle.start_sending(issue)
    assert issue.status is status


def test_recomposing_starts_over() -> None:
    issue = _issue()
    lifecycle.mark_rendered(issue, subject="s", html="h", text="t", now=NOW)
    lifecycle.reset_to_draft(issue, now=NOW)
    assert issue.status is IssueStatus.DRAFT
    assert (issue.rendered_subject, issue.rendered_html, issue.rendered_at) == (None, None, None)


def test_public_issues_are_the_out_ones_with_a_rendering(engine: Engine) -> None:
    for n, status in enumerate(IssueStatus):
        add_issue(engine, DAY + dt.timedelta(days=n), status=status)
    with transaction(engine) as session:
        session.add(
            Issue(
                edition=default_edition(session),
                date=DAY - dt.timedelta(days=1),
                subject="x",
                status=IssueStatus.SENT,
            )
        )
    with transaction(engine) as session:
        public = session.scalars(select(Issue.status).where(lifecycle.public_clause())).all()
        out = session.scalars(select(Issue.status).where(lifecycle.out_clause())).all()
    assert sorted(public) == [IssueStatus.SENDING, IssueStatus.SENT]
    assert sorted(out) == [IssueStatus.SENDING, IssueStatus.SENT, IssueStatus.SENT]

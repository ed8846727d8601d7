"""The public archive: which issues anyone may read, and each one as it was sent.

Once its send has started an issue is public (the "view in browser" link of the first
recipients must work while the send to the others goes on); its rendering can no longer
change. A public copy carries nobody's personal links.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.lifecycle import public_clause
from newsletter.models import Issue
from newsletter.render.issue import stored_rendering
from newsletter.render.personalize import archive_copy


@dataclass(frozen=True)
class ArchivedIssue:
    """One public issue, as the index and the feed list it."""

    date: dt.date
    subject: str
    summary: str
    sent_at: dt.datetime | None


def public_issues(session: Session, *, limit: int | None = None) -> list[ArchivedIssue]:
    """Public issues with a stored rendering, newest first."""
    query = (
        select(Issue.date, Issue.rendered_subject, Issue.subject, Issue.preheader, Issue.sent_at)
        .where(public_clause())
        .order_by(Issue.date.desc())
        .limit(limit)
    )
    return [
        ArchivedIssue(date, rendered or subject, preheader or "", sent_at)
        for date, rendered, subject, preheader, sent_at in session.execute(query)
    ]


def public_page(session: Session, day: dt.date, *, archive_url: str) -> str | None:
    """The public issue of ``day`` as a web page (the public copy: no personal link; a
    rendering stored before the public variant has its unsubscribe link pointed at
    ``archive_url``), or None."""
    issue = session.scalar(select(Issue).where(Issue.date == day, public_clause()))
    rendering = None if issue is None else stored_rendering(issue)
    if rendering is None:
        return None
    return archive_copy(rendering, archive_url=archive_url).html

"""Issue composition: a day's stored items become an issue (a snapshot with subject, preheader)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.digest import Digest
from newsletter.digest.text import join_lines
from newsletter.errors import InputError, NotFoundError, StateError
from newsletter.models import Digest as DigestRow
from newsletter.models import Issue, IssueStatus
from newsletter.models.base import utcnow
from newsletter.subject import clean_subject

PREHEADER_MAX = 110
SUBJECT_MAX = 200


def check_subject(subject: str) -> str:
    """A subject is one line (a line break would inject headers) and not empty."""
    if any(c in subject for c in "\r\n\x00"):
        raise InputError("the subject must be one line (it contains a line break)")
    subject = subject.strip()
    if not subject:
        raise InputError("the subject is empty")
    if len(subject) > SUBJECT_MAX:
        raise InputError(f"the subject is longer than {SUBJECT_MAX} characters")
    return subject


def make_preheader(summary: str) -> str:
    """The inbox preview text: the summary on one line, cut at a sentence when it is long."""
    text = join_lines(summary.splitlines())
    if len(text) <= PREHEADER_MAX:
        return text
    cut = text[:PREHEADER_MAX]
    for mark in "。！？.!?":
        pos = cut.rfind(mark)
        if pos >= PREHEADER_MAX // 2:
            return cut[: pos + 1]
    return cut[: PREHEADER_MAX - 1] + "…"


def issue_from_digest(digest: Digest) -> Issue:
    """A draft issue made in memory (not stored) from a parsed digest, as `compose` makes it:
    for previews and benchmarks that need no database."""
    return Issue(
        date=digest.date,
        subject=digest.title,
        summary=digest.summary,
        preheader=make_preheader(digest.summary),
        sections=[s.model_dump() for s in digest.sections],
        status=IssueStatus.DRAFT,
    )


def get_issue(session: Session, date: dt.date) -> Issue:
    """The issue of ``date`` or :class:`NotFoundError`."""
    issue = session.scalar(select(Issue).where(Issue.date == date))
    if issue is None:
        raise NotFoundError(
            f"no issue for {date.isoformat()}: run `newsletter issue compose --date {date}`"
        )
    return issue


def compose_issue(session: Session, *, date: dt.date, subject: str | None = None) -> Issue:
    """Create or refresh the draft issue of ``date`` from the stored items.

    A draft or rendered issue is recomposed (its rendering is dropped); an issue being sent
    or sent is never changed.
    """
    digest = session.get(DigestRow, date)
    if digest is None or not digest.items:
        raise NotFoundError(f"no items for {date.isoformat()}: run `newsletter items import` first")
    subject = check_subject(
        clean_subject(digest.title if subject is None else check_subject(subject))
    )
    sections: list[dict[str, Any]] = []
    for item in digest.items:
        if not sections or sections[-1]["name"] != item.section:
            sections.append({"name": item.section, "items": []})
        sections[-1]["items"].append(
            {
                "title": item.title,
                "body": item.body,
                "links": list(item.links),
                "images": list(item.images),
                "source": item.source,
            }
        )
    issue = session.scalar(select(Issue).where(Issue.date == date))
    if issue is not None and issue.status in (IssueStatus.SENDING, IssueStatus.SENT):
        raise StateError(
            f"the issue of {date.isoformat()} is {issue.status.value}: it cannot be recomposed"
        )
    if issue is None:
        issue = Issue(date=date)
        session.add(issue)
    issue.subject = subject
    issue.summary = digest.summary
    issue.preheader = (
        make_preheader(digest.summary) if digest.summary else sections[0]["items"][0]["title"]
    )
    issue.sections = sections
    issue.status = IssueStatus.DRAFT
    issue.composed_at = utcnow()
    issue.rendered_subject = issue.rendered_html = issue.rendered_text = None
    issue.rendered_at = None
    session.flush()
    return issue


def list_issues(session: Session) -> list[Issue]:
    """All issues, newest first."""
    return list(session.scalars(select(Issue).order_by(Issue.date.desc())))


def issue_dict(issue: Issue) -> dict[str, Any]:
    """The JSON form of an issue (without the rendered bytes)."""
    return {
        "date": issue.date.isoformat(),
        "subject": issue.subject,
        "summary": issue.summary,
        "preheader": issue.preheader,
        "status": issue.status.value,
        "sections": issue.sections,
        "item_count": sum(len(s["items"]) for s in issue.sections),
        "composed_at": issue.composed_at,
        "rendered_at": issue.rendered_at,
        "sent_at": issue.sent_at,
    }

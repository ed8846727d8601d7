"""Issue composition: a day's stored items become an issue (a snapshot with subject, preheader)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.digest import Digest
from newsletter.digest.model import clean_line
from newsletter.digest.text import join_lines
from newsletter.editions import get_edition
from newsletter.errors import InputError, NotFoundError
from newsletter.lifecycle import require_changeable, reset_to_draft
from newsletter.models import DigestRecord, Edition, Issue, IssueStatus
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


def subject_of(title: str) -> str:
    """The subject made from a digest title: one line of plain text, markup and control
    characters removed (``<script>alert("x")</script>`` leaves nothing)."""
    return clean_line(title)


def _preheader(summary: str, sections: list[dict[str, Any]]) -> str:
    if summary.strip():
        return make_preheader(summary)
    for section in sections:
        for block in section.get("blocks") or []:
            if block.get("kind") == "item":
                return str(block.get("title", ""))[:PREHEADER_MAX]
    return ""


def section_items(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of a stored section (its blocks of kind ``item``)."""
    return [b for b in section.get("blocks") or [] if b.get("kind") == "item"]


def issue_from_digest(digest: Digest) -> Issue:
    """A draft issue made in memory (not stored) from a parsed digest, as `compose` makes it:
    for previews and benchmarks that need no database."""
    sections = [s.model_dump(mode="json") for s in digest.sections]
    return Issue(
        date=digest.date,
        subject=subject_of(digest.title),
        summary=digest.summary,
        headline=digest.headline,
        tagline=digest.tagline,
        preheader=_preheader(digest.summary, sections),
        sections=sections,
        status=IssueStatus.DRAFT,
    )


def _edition_flag(edition: Edition) -> str:
    return "" if edition.is_default else f" --edition {edition.slug}"


def find_issue(session: Session, date: dt.date, *, edition: Edition | None = None) -> Issue | None:
    """The issue of ``date`` in ``edition`` (default: the default edition), or None."""
    edition = edition or get_edition(session)
    return session.scalar(select(Issue).where(Issue.edition_id == edition.id, Issue.date == date))


def get_issue(session: Session, date: dt.date, *, edition: Edition | None = None) -> Issue:
    """The issue of ``date`` in ``edition`` (default: the default edition) or
    :class:`NotFoundError`."""
    edition = edition or get_edition(session)
    issue = find_issue(session, date, edition=edition)
    if issue is None:
        where = "" if edition.is_default else f" in edition {edition.slug!r}"
        raise NotFoundError(
            f"no issue for {date.isoformat()}{where}: run `newsletter issue compose "
            f"--date {date}{_edition_flag(edition)}`"
        )
    return issue


def compose_issue(
    session: Session,
    *,
    date: dt.date,
    subject: str | None = None,
    edition: Edition | None = None,
) -> Issue:
    """Create or refresh the draft issue of ``date`` in ``edition`` (default: the default
    edition) from its stored items.

    A draft or rendered issue is recomposed (its rendering is dropped); an issue being sent
    or sent is never changed.
    """
    edition = edition or get_edition(session)
    digest = session.get(DigestRecord, (edition.id, date))
    if digest is None or not digest.sections:
        where = "" if edition.is_default else f" in edition {edition.slug!r}"
        raise NotFoundError(
            f"no items for {date.isoformat()}{where}: run `newsletter items import"
            f"{_edition_flag(edition)}` first"
        )
    subject = check_subject(
        clean_subject(subject_of(digest.title) if subject is None else check_subject(subject))
    )
    sections: list[dict[str, Any]] = copy.deepcopy(list(digest.sections))
    issue = find_issue(session, date, edition=edition)
    if issue is not None:
        require_changeable(issue, refusal="it cannot be recomposed")
    if issue is None:
        issue = Issue(date=date, edition=edition)
        session.add(issue)
    issue.subject = subject
    issue.summary = digest.summary
    issue.headline = digest.headline
    issue.tagline = digest.tagline
    issue.preheader = _preheader(digest.summary, sections)
    issue.sections = sections
    reset_to_draft(issue, now=utcnow())
    session.flush()
    return issue


def list_issues(session: Session, *, edition: Edition | None = None) -> list[Issue]:
    """The issues of ``edition`` (None: of every edition), newest first."""
    query = select(Issue).order_by(Issue.date.desc(), Issue.edition_id)
    if edition is not None:
        query = query.where(Issue.edition_id == edition.id)
    return list(session.scalars(query))


def issue_dict(issue: Issue) -> dict[str, Any]:
    """The JSON form of an issue (without the rendered bytes)."""
    return {
        "edition": issue.edition.slug,
        "date": issue.date.isoformat(),
        "subject": issue.subject,
        "summary": issue.summary,
        "preheader": issue.preheader,
        "headline": issue.headline,
        "tagline": issue.tagline,
        "status": issue.status.value,
        "sections": issue.sections,
        "item_count": sum(len(section_items(s)) for s in issue.sections),
        "composed_at": issue.composed_at,
        "rendered_at": issue.rendered_at,
        "sent_at": issue.sent_at,
    }

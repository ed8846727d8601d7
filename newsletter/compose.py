"""Issue composition: a day's stored items become an issue (a snapshot with subject, preheader)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.digest import Digest
from newsletter.digest.text import join_lines
from newsletter.editions import get_edition
from newsletter.editorial import IssueChange, Outline, OutlineSection, note_of, outline
from newsletter.errors import InputError, NotFoundError
from newsletter.freshness import stale_reason
from newsletter.lifecycle import is_out, require_changeable, reset_to_draft
from newsletter.models import DigestRecord, Edition, Issue, IssueStatus
from newsletter.models.base import utcnow
from newsletter.settings import Settings
from newsletter.subject import clean_subject
from newsletter.text import breaks_lines, plain_line

PREHEADER_MAX = 110
SUBJECT_MAX = 200


def check_subject(subject: str) -> str:
    """A subject is one line (a line break would inject headers) and not empty."""
    if breaks_lines(subject):
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
    return plain_line(title)


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


def _digest_of(session: Session, edition: Edition, date: dt.date) -> DigestRecord:
    digest = session.get(DigestRecord, (edition.id, date))
    if digest is None or not digest.sections:
        where = "" if edition.is_default else f" in edition {edition.slug!r}"
        raise NotFoundError(
            f"no items for {date.isoformat()}{where}: run `newsletter items import"
            f"{_edition_flag(edition)}` first"
        )
    return digest


def _make(issue: Issue, digest: DigestRecord) -> list[str]:
    """Build ``issue`` from ``digest`` and the editor's choices (``issue.edits``); returns
    one line per choice it could not keep."""
    edits = dict(issue.edits or {})
    view = outline(digest.sections, edits)
    sections = view.kept()
    issue.subject = check_subject(clean_subject(edits.get("subject") or subject_of(digest.title)))
    issue.summary = digest.summary
    issue.headline = digest.headline
    issue.tagline = digest.tagline
    issue.preheader = edits.get("preheader") or _preheader(digest.summary, sections)
    issue.sections = sections
    issue.digest_hash = digest.content_hash
    reset_to_draft(issue, now=utcnow())
    return view.lost


def compose_issue(
    session: Session,
    *,
    date: dt.date,
    subject: str | None = None,
    edition: Edition | None = None,
) -> Issue:
    """Create or refresh the draft issue of ``date`` in ``edition`` (default: the default
    edition) from its stored items, keeping the editor's choices (a ``subject`` given here
    becomes the editor's subject). See :func:`compose_and_report` for what could not be kept.

    A draft or rendered issue is recomposed (its rendering is dropped); an issue being sent
    or sent is never changed.
    """
    return compose_and_report(session, date=date, subject=subject, edition=edition)[0]


def compose_and_report(
    session: Session,
    *,
    date: dt.date,
    subject: str | None = None,
    edition: Edition | None = None,
) -> tuple[Issue, list[str]]:
    """:func:`compose_issue`, and one line per editor's choice it could not keep."""
    edition = edition or get_edition(session)
    digest = _digest_of(session, edition, date)
    issue = find_issue(session, date, edition=edition)
    if issue is not None:
        require_changeable(issue, refusal="it cannot be recomposed")
    if issue is None:
        issue = Issue(date=date, edition=edition, edits={})
        session.add(issue)
    if subject is not None:
        chosen = check_subject(clean_subject(check_subject(subject)))
        issue.edits = {**(issue.edits or {}), "subject": chosen}
    lost = _make(issue, digest)
    session.flush()
    return issue, lost


def follow_import(session: Session, *, edition: Edition, date: dt.date) -> list[str]:
    """After the day's digest of ``edition`` was stored: a draft issue of that day is made
    again from the new items, keeping the editor's choices; an issue that is out is frozen.
    Returns one line per thing the import did to the issue (nothing when it has none or
    when the content did not change)."""
    issue = find_issue(session, date, edition=edition)
    if issue is None:
        return []
    day = date.isoformat()
    if is_out(issue):
        return [
            f"the issue of {day} is {issue.status.value}: it is frozen, and this import changes "
            "nothing of it"
        ]
    digest = _digest_of(session, edition, date)
    if issue.digest_hash == digest.content_hash:
        return []
    lost = _make(issue, digest)
    session.flush()
    kept = ", ".join(sorted(k for k in (issue.edits or {}) if (issue.edits or {})[k])) or "none"
    return [
        f"the draft issue of {day} now shows the new items (editor's choices kept: {kept}; "
        "it will be rendered again)",
        *lost,
    ]


def edit_issue(
    session: Session, *, date: dt.date, edition: Edition | None = None, change: IssueChange
) -> tuple[Issue, list[str]]:
    """Apply the editor's ``change`` to the draft of ``date`` (an issue that is out is
    frozen: :class:`StateError`) and make the issue again; returns it and one line per
    change made, for people."""
    edition = edition or get_edition(session)
    issue = get_issue(session, date, edition=edition)
    require_changeable(issue, refusal="it is frozen and cannot be edited")
    digest = _digest_of(session, edition, date)
    edits: dict[str, Any] = copy.deepcopy(dict(issue.edits or {}))
    done = change.apply(edits, outline(digest.sections, edits))
    issue.edits = edits
    lost = _make(issue, digest)
    session.flush()
    return issue, [*done, *lost]


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
        "edits": issue.edits or {},
        "composed_at": issue.composed_at,
        "rendered_at": issue.rendered_at,
        "sent_at": issue.sent_at,
    }


def issue_outline(session: Session, issue: Issue) -> Outline:
    """The issue as the editor sees it, numbered: a draft's digest through its choices
    (dropped parts included, marked), or what an issue that is out showed."""
    digest = session.get(DigestRecord, (issue.edition_id, issue.date))
    if is_out(issue) or digest is None:
        return outline(issue.sections, {})
    return outline(digest.sections, issue.edits or {})


def describe_issue(session: Session, issue: Issue, settings: Settings) -> dict[str, Any]:
    """:func:`issue_dict` with the numbered outline (what `issue edit` refers to), the
    editor's choices that could not be kept, and whether the stored rendering is stale."""
    data = issue_dict(issue)
    view = issue_outline(session, issue)
    rows: list[dict[str, Any]] = []
    for number, thing in view.numbered():
        if isinstance(thing, OutlineSection):
            rows.append(
                {
                    "number": number,
                    "kind": thing.raw.get("added") or "section",
                    "label": thing.heading,
                    "depth": thing.depth,
                    "dropped": thing.dropped,
                }
            )
            continue
        rows.append(
            {
                "number": number,
                "kind": thing.kind,
                "label": thing.label,
                "dropped": thing.dropped,
                "links": len(thing.raw.get("links") or []),
                "images": len(thing.raw.get("images") or []),
            }
        )
    data["outline"] = rows
    data["lost"] = view.lost
    data["note"] = note_of(issue.edits)
    data["stale"] = stale_reason(issue, settings)
    return data

"""An issue's life cycle, and the questions every command and page asks about it.

::

    draft --render--> rendered --send starts--> sending --send finishes--> sent
      ^                  |
      +----compose-------+      (recomposing a draft or rendered issue starts it over)

Once its send has started an issue is *out*: its content and its stored rendering are frozen
(what subscribers received never changes), it is public (the web archive lists it), and
every command or page that shows it shows those stored bytes. Before that, it can be
recomposed and re-rendered at will, and what is shown is a fresh rendering.

This module holds the rules only (no rendering, no I/O): the render, send and compose steps,
the CLI and the web service ask it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ColumnElement, and_

from newsletter.errors import StateError
from newsletter.models import Issue, IssueStatus

#: The statuses of an issue whose send has started: frozen, and public.
OUT_STATUSES = frozenset({IssueStatus.SENDING, IssueStatus.SENT})
#: The statuses of an issue that may still be recomposed and re-rendered.
CHANGEABLE_STATUSES = frozenset({IssueStatus.DRAFT, IssueStatus.RENDERED})


def is_out(issue: Issue) -> bool:
    """Whether the issue's send has started (its content and rendering are frozen)."""
    return issue.status in OUT_STATUSES


def require_changeable(issue: Issue, *, refusal: str) -> None:
    """Raise :class:`StateError` (``the issue of DAY is STATUS: refusal``) when it is out."""
    if is_out(issue):
        raise StateError(
            f"the issue of {issue.date.isoformat()} is {issue.status.value}: {refusal}"
        )


def out_clause() -> ColumnElement[bool]:
    """SQL condition: the issue is out (sending or sent)."""
    return Issue.status.in_(OUT_STATUSES)


def public_clause() -> ColumnElement[bool]:
    """SQL condition: the issue is in the public archive (out, with a stored rendering)."""
    return and_(out_clause(), Issue.rendered_html.is_not(None))


def shows_stored_rendering(issue: Issue) -> bool:
    """Whether a command or page shows the stored bytes (the issue is out and has them)
    rather than a fresh rendering."""
    return is_out(issue) and issue.rendered_html is not None


def needs_rendering(issue: Issue) -> bool:
    """Whether the issue is a draft: composed, never rendered since."""
    return issue.status is IssueStatus.DRAFT


def reset_to_draft(issue: Issue, *, now: dt.datetime) -> None:
    """The issue was (re)composed: a draft again, without a rendering."""
    issue.status = IssueStatus.DRAFT
    issue.composed_at = now
    issue.rendered_subject = issue.rendered_html = issue.rendered_text = None
    issue.rendered_at = None
    issue.rendered_inputs = None


def mark_rendered(
    issue: Issue,
    *,
    subject: str,
    html: str,
    text: str,
    now: dt.datetime,
    inputs: dict[str, Any] | None = None,
) -> None:
    """Store a rendering on a changeable issue (status RENDERED), with what it was made from
    (``inputs``: :func:`newsletter.freshness.render_inputs`)."""
    require_changeable(issue, refusal="its rendering is what was sent and cannot change")
    issue.rendered_inputs = inputs
    issue.rendered_subject = subject
    issue.rendered_html = html
    issue.rendered_text = text
    issue.rendered_at = now
    issue.status = IssueStatus.RENDERED


def start_sending(issue: Issue) -> None:
    """A send has started: the issue is out from now on (a second start changes nothing)."""
    if not is_out(issue):
        issue.status = IssueStatus.SENDING


def mark_sent(issue: Issue, *, now: dt.datetime) -> None:
    """The send to the list finished; the first finish sets ``sent_at``."""
    if issue.status is not IssueStatus.SENT:
        issue.status = IssueStatus.SENT
        issue.sent_at = now

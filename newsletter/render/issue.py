"""Rendering an issue: the one entry point from an issue to its subject, HTML and text."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from newsletter.compose import check_subject
from newsletter.lifecycle import mark_rendered, require_changeable, shows_stored_rendering
from newsletter.models import Issue
from newsletter.models.base import utcnow
from newsletter.render.context import issue_context
from newsletter.render.errors import LintError
from newsletter.render.lint import LintWarning, lint_email, lint_identity
from newsletter.render.personalize import scrub_markers
from newsletter.render.pipeline import mjml_to_html
from newsletter.render.rendered import RenderedEmail
from newsletter.render.templates import render_template
from newsletter.settings import Settings
from newsletter.subject import clean_subject

log = logging.getLogger(__name__)

TEST_PREFIX = "[TEST] "


def issue_subject(issue: Issue, *, test: bool = False) -> str:
    """The subject line: plain text on one line, at most 150 characters (cut with "…").

    An issue composed before subjects were cleaned is cleaned here too; an empty one is
    refused (:class:`InputError`).
    """
    # Markers are scrubbed: the subject is shared by every recipient's copy.
    subject = check_subject(clean_subject(scrub_markers(issue.subject)))
    return f"{TEST_PREFIX}{subject}" if test else subject


def render_issue_mjml(issue: Issue, settings: Settings, *, test: bool = False) -> str:
    """The MJML of the issue (what ``mjml2html`` gets); for inspection and snapshot tests."""
    ctx = issue_context(issue, settings, subject=issue_subject(issue, test=test), test=test)
    return render_template("issue.mjml.j2", ctx)


def render_issue(issue: Issue, settings: Settings, *, test: bool = False) -> RenderedEmail:
    """Render ``issue`` to its email; pure (reads the issue, writes nothing).

    The result still holds the per-recipient markers (``UNSUBSCRIBE_URL_MARK``,
    ``NAME_MARK``); :func:`~newsletter.render.personalize` fills them for each recipient.
    ``test`` adds the test-send banner and prefixes the subject with ``[TEST] ``.
    Raises :class:`InputError` for a subject with a line break, :class:`ConfigError` when
    NEWSLETTER_BASE_URL (the archive link) or a branding setting is missing or malformed.
    """
    subject = issue_subject(issue, test=test)
    ctx = issue_context(issue, settings, subject=subject, test=test)
    html = mjml_to_html(render_template("issue.mjml.j2", ctx))
    text = render_template("issue.txt.j2", ctx)
    return RenderedEmail(subject=subject, html=html, text=text)


def render_and_store(
    session: Session, issue: Issue, settings: Settings, *, strict: bool = False
) -> RenderedEmail:
    """Render ``issue``, lint it, and store the result on the issue (status RENDERED).

    Lint warnings are logged; with ``strict`` they raise :class:`LintError` and nothing is
    stored. Only a draft or rendered issue is rendered: an issue being sent or sent keeps
    the bytes it was sent with (:class:`StateError`).
    """
    rendered, warnings = render_lint_and_store(session, issue, settings, strict=strict)
    for warning in warnings:
        log.warning("issue %s: %s", issue.date.isoformat(), warning)
    return rendered


def render_lint_and_store(
    session: Session, issue: Issue, settings: Settings, *, strict: bool = False
) -> tuple[RenderedEmail, list[LintWarning]]:
    """:func:`render_and_store` that returns the lint warnings instead of logging them."""
    require_changeable(issue, refusal="its rendering is what was sent and cannot change")
    rendered = render_issue(issue, settings)
    warnings = lint_email(rendered) + lint_identity(settings, rendered)
    if strict and warnings:
        raise LintError(f"the issue of {issue.date.isoformat()} has {len(warnings)} lint warnings")
    mark_rendered(
        issue, subject=rendered.subject, html=rendered.html, text=rendered.text, now=utcnow()
    )
    session.flush()
    return rendered, warnings


def stored_rendering(issue: Issue) -> RenderedEmail | None:
    """The rendering stored on ``issue``, or None when it has not been rendered."""
    if issue.rendered_subject is None or issue.rendered_html is None:
        return None
    return RenderedEmail(
        subject=issue.rendered_subject, html=issue.rendered_html, text=issue.rendered_text or ""
    )


def stored_or_render(issue: Issue, settings: Settings) -> RenderedEmail:
    """The stored rendering of ``issue``, or a fresh one (not stored) when it has none."""
    return stored_rendering(issue) or render_issue(issue, settings)


def shown_rendering(issue: Issue, settings: Settings) -> RenderedEmail:
    """What a command or page shows of ``issue``: the stored bytes once it is out (exactly
    what subscribers received), else a fresh rendering (not stored)."""
    rendered = stored_rendering(issue) if shows_stored_rendering(issue) else None
    return rendered or render_issue(issue, settings)

"""Rendering an issue: the one entry point from an issue to its subject, HTML and text."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from newsletter.compose import check_subject
from newsletter.editions import issue_settings
from newsletter.freshness import render_inputs
from newsletter.lifecycle import mark_rendered, require_changeable, shows_stored_rendering
from newsletter.media import stage as media_stage
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

if TYPE_CHECKING:
    from newsletter.media.stage import IssueMedia

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


def render_issue_mjml(
    issue: Issue, settings: Settings, *, test: bool = False, media: IssueMedia | None = None
) -> str:
    """The MJML of the issue (what ``mjml2html`` gets); for inspection and snapshot tests."""
    settings = issue_settings(settings, issue)
    subject = issue_subject(issue, test=test)
    ctx = issue_context(issue, settings, subject=subject, test=test, media=media)
    return render_template("issue.mjml.j2", ctx)


def render_issue(
    issue: Issue, settings: Settings, *, test: bool = False, media: IssueMedia | None = None
) -> RenderedEmail:
    """Render ``issue`` to its email; pure (reads the issue, writes nothing).

    The result still holds the per-recipient markers (``UNSUBSCRIBE_URL_MARK``,
    ``NAME_MARK``); :func:`~newsletter.render.personalize` fills them for each recipient.
    ``test`` adds the test-send banner and prefixes the subject with ``[TEST] ``. ``media``
    (the image stage's result, :func:`~newsletter.media.stage.prepare_issue_media`) puts
    the stored copies of the images in; without it images keep their source URLs.
    Raises :class:`InputError` for a subject with a line break, :class:`ConfigError` when
    NEWSLETTER_BASE_URL (the archive link) or a branding setting is missing or malformed.
    """
    settings = issue_settings(settings, issue)
    subject = issue_subject(issue, test=test)
    ctx = issue_context(issue, settings, subject=subject, test=test, media=media)
    html = mjml_to_html(render_template("issue.mjml.j2", ctx))
    text = render_template("issue.txt.j2", ctx)
    return RenderedEmail(subject=subject, html=html, text=text)


def render_and_store(
    session: Session, issue: Issue, settings: Settings, *, strict: bool = False
) -> RenderedEmail:
    """Render ``issue``, lint it, and store the result on the issue (status RENDERED); the
    lint warnings are logged. What the send and the daily job call.

    With ``strict`` lint warnings raise :class:`LintError` and nothing is stored. Only a
    draft or rendered issue is rendered: an issue being sent or sent keeps the bytes it was
    sent with (:class:`StateError`).
    """
    rendered, warnings, _media = render_store_and_lint(session, issue, settings, strict=strict)
    for warning in warnings:
        log.warning("issue %s: %s", issue.date.isoformat(), warning)
    return rendered


def render_store_and_lint(
    session: Session, issue: Issue, settings: Settings, *, strict: bool = False
) -> tuple[RenderedEmail, list[LintWarning], IssueMedia | None]:
    """:func:`render_and_store` that returns the lint warnings (not logged) and the image
    stage's result, for a command that shows them.

    The image stage runs here, once per render (never per recipient): images are fetched,
    converted and stored, or reused when stored before.
    """
    settings = issue_settings(settings, issue)
    require_changeable(issue, refusal="its rendering is what was sent and cannot change")
    media = media_stage.prepare_issue_media(session, issue, settings)
    rendered = render_issue(issue, settings, media=media)
    warnings = lint_email(rendered, media=media) + lint_identity(settings, rendered)
    if strict and warnings:
        raise LintError(f"the issue of {issue.date.isoformat()} has {len(warnings)} lint warnings")
    mark_rendered(
        issue,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        now=utcnow(),
        inputs=render_inputs(issue, settings),
    )
    session.flush()
    return rendered, warnings, media


def lint_issue(
    session: Session, issue: Issue, settings: Settings
) -> tuple[RenderedEmail, list[LintWarning], IssueMedia | None]:
    """The issue's email (its stored rendering, else a fresh one, not stored), its lint
    warnings and the image stage's result (stored images are reused, not downloaded)."""
    settings = issue_settings(settings, issue)
    media = media_stage.prepare_issue_media(session, issue, settings)
    rendered = stored_rendering(issue) or render_issue(issue, settings, media=media)
    warnings = lint_email(rendered, media=media) + lint_identity(settings, rendered)
    return rendered, warnings, media


def stored_rendering(issue: Issue) -> RenderedEmail | None:
    """The rendering stored on ``issue``, or None when it has not been rendered."""
    if issue.rendered_subject is None or issue.rendered_html is None:
        return None
    return RenderedEmail(
        subject=issue.rendered_subject, html=issue.rendered_html, text=issue.rendered_text or ""
    )


def shown_rendering(issue: Issue, settings: Settings) -> RenderedEmail:
    """What a command or page shows of ``issue``: the stored bytes once it is out (exactly
    what subscribers received), else a fresh rendering (not stored)."""
    settings = issue_settings(settings, issue)
    rendered = stored_rendering(issue) if shows_stored_rendering(issue) else None
    return rendered or render_issue(issue, settings)

"""Rendering: an issue (or a system email) to its subject, responsive HTML and plain text.

Jinja2 templates in ``emails/`` produce MJML; mjml-python turns it into HTML and premailer
inlines the CSS (:mod:`newsletter.render.pipeline`); the plain-text part comes from its own
templates. An issue is rendered once and stored; each recipient's copy is made by
:func:`personalize`, which substitutes fixed markers in microseconds.
"""

from __future__ import annotations

from newsletter.render.errors import LintError, RenderError
from newsletter.render.issue import render_and_store, render_issue, render_issue_mjml
from newsletter.render.lint import LintWarning, lint_email
from newsletter.render.personalize import NAME_MARK, UNSUBSCRIBE_URL_MARK, personalize
from newsletter.render.rendered import RenderedEmail

__all__ = [
    "NAME_MARK",
    "UNSUBSCRIBE_URL_MARK",
    "LintError",
    "LintWarning",
    "RenderError",
    "RenderedEmail",
    "lint_email",
    "personalize",
    "render_and_store",
    "render_issue",
    "render_issue_mjml",
]

"""Errors of the render step."""

from __future__ import annotations

from newsletter.errors import NewsletterError


class RenderError(NewsletterError):
    """The templates produced MJML that cannot be rendered faithfully (a template bug)."""


class LintError(NewsletterError):
    """``--strict`` and the lint found problems; the message counts them."""

"""The digest reader's own refusal: a file that is readable but no digest at all."""

from __future__ import annotations

from newsletter.errors import InputError


class NotADigestError(InputError):
    """The file is not a digest (an about page, a shopping list, a site's index): a folder
    import skips it with one line, a single-file import refuses it. Its message starts with
    "not a digest"."""


__all__ = ["NotADigestError"]

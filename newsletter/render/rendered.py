"""The rendered email: what the render step produces and the send step consumes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RenderedEmail:
    """One email, rendered: the subject line, the HTML part and the plain-text part.

    A rendered issue still carries the per-recipient placeholders (see
    :mod:`newsletter.render.personalize`); :func:`~newsletter.render.personalize` fills them.
    """

    subject: str
    html: str
    text: str
    #: The strings table (``zh``, ``en``) of a localized copy; empty for the stored
    #: rendering, which carries every language (see :func:`~newsletter.render.localize`).
    language: str = ""

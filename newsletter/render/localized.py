"""Words in every language at once, for the one stored rendering of an issue.

An issue is rendered once, but its own words (greeting, intro, footer, ...) follow each
subscriber's language. So the rendering carries every language's version of each such text,
each between two markers::

    __NEWSLETTER_LANG_ZH__退订__NEWSLETTER_LANG_END____NEWSLETTER_LANG_EN__Unsubscribe__NEWSLETTER_LANG_END__

and parts meant only for a recipient (the unsubscribe link, the greeting) or only for the
public copy (the sign-up link) between audience markers. :func:`~newsletter.render.
personalize.localize` keeps one language and one audience, once per language of a send; the
per-recipient substitution stays as cheap as before. The markers are ASCII letters and
underscores, so Jinja, MJML and premailer pass them through unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

from newsletter.render.strings import TABLES, Strings

LANG_END = "__NEWSLETTER_LANG_END__"
RECIPIENT_ONLY = "__NEWSLETTER_FOR_RECIPIENT__"
PUBLIC_ONLY = "__NEWSLETTER_FOR_PUBLIC__"
AUDIENCE_END = "__NEWSLETTER_FOR_END__"


def lang_open(key: str) -> str:
    """The opening marker of one language's text (``key`` as in :data:`TABLES`)."""
    return f"__NEWSLETTER_LANG_{key.upper()}__"


class Localized:
    """One text in every language: escaped spans in HTML templates, plain ones in text.

    Jinja's autoescaping calls :meth:`__html__`; the plain-text templates call ``str``.
    A text that reads the same in every language is written once, without markers.
    """

    __slots__ = ("values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)

    def _join(self, escape_html: bool) -> str:
        distinct = set(self.values.values())
        if len(distinct) == 1:
            (only,) = distinct
            return str(escape(only)) if escape_html else only
        parts = []
        for key, value in self.values.items():
            text = str(escape(value)) if escape_html else value
            parts.append(f"{lang_open(key)}{text}{LANG_END}")
        return "".join(parts)

    def __html__(self) -> str:
        return self._join(escape_html=True)

    def __str__(self) -> str:
        return self._join(escape_html=False)

    def __bool__(self) -> bool:
        return any(self.values.values())


class LocalizedStrings:
    """The templates' ``s``: each attribute is a :class:`Localized` of that string."""

    def __init__(self, tables: Mapping[str, Strings] = TABLES) -> None:
        self._tables = dict(tables)

    def __getattr__(self, name: str) -> Localized:
        if name.startswith("_"):
            raise AttributeError(name)
        values = {key: getattr(table, name) for key, table in self._tables.items()}
        if not all(isinstance(v, str) for v in values.values()):
            raise AttributeError(f"{name} is not a text of the strings tables")
        return Localized(values)

    def each(self) -> Mapping[str, Strings]:
        """Every table, by key (for texts built from several strings and values)."""
        return self._tables


def audience_marks() -> dict[str, Markup]:
    """The template values that open and close recipient-only and public-only parts."""
    return {
        "for_recipient": Markup(RECIPIENT_ONLY),  # noqa: S704 (constants)
        "for_public": Markup(PUBLIC_ONLY),  # noqa: S704
        "for_end": Markup(AUDIENCE_END),  # noqa: S704
    }

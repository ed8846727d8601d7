"""Per-recipient values: fixed markers in the rendered email, filled by plain ``str.replace``.

The issue is rendered once (MJML and premailer take milliseconds) with its own words in
every language (:mod:`newsletter.render.localized`). A send first keeps one language and
the recipient audience, once per language (:func:`localize`); each recipient's copy is then
made by substituting the markers below (:func:`personalize`), which takes microseconds. The
markers are plain ASCII letters and underscores, so Jinja's escaping, MJML and premailer's
HTML serializer all leave them unchanged, also inside ``href`` attributes (the tests check
this).
"""

from __future__ import annotations

import html
import re

from newsletter.render.localized import AUDIENCE_END, LANG_END, PUBLIC_ONLY, RECIPIENT_ONLY
from newsletter.render.rendered import RenderedEmail
from newsletter.render.strings import language_key, strings_for
from newsletter.text import clean_line, remove_controls, scrub_markers

#: Stands for the recipient's unsubscribe URL (the footer link, in both parts).
UNSUBSCRIBE_URL_MARK = "__NEWSLETTER_UNSUBSCRIBE_URL__"
#: Stands for the recipient's preference page URL (the footer link, in both parts).
PREFERENCES_URL_MARK = "__NEWSLETTER_PREFERENCES_URL__"
#: Stands for the greeting in the recipient's language, with their name or without one.
GREETING_MARK = "__NEWSLETTER_GREETING__"
#: Stood for the recipient's name in renderings stored before the greeting marker;
#: :func:`localize` turns their greeting into :data:`GREETING_MARK`.
NAME_MARK = "__NEWSLETTER_RECIPIENT_NAME__"
#: Every per-recipient marker; untrusted content is scrubbed of them (and of the language
#: and audience markers) before rendering.
MARKERS = (UNSUBSCRIBE_URL_MARK, GREETING_MARK, NAME_MARK, PREFERENCES_URL_MARK)

NAME_MAX = 80
_AUDIENCE_SPAN = re.compile(
    r"__NEWSLETTER_FOR_(RECIPIENT|PUBLIC)__(.*?)" + re.escape(AUDIENCE_END), re.DOTALL
)
_LANG_SPAN = re.compile(r"__NEWSLETTER_LANG_([A-Z]+)__(.*?)" + re.escape(LANG_END), re.DOTALL)
_HTML_LANG = re.compile(r"<html\b[^>]*?\slang=\"([^\"]*)\"", re.IGNORECASE)


def display_name(name: str) -> str:
    """A display name fit for one line of text: no control characters, no line breaks."""
    return clean_line(name)[:NAME_MAX].strip()


def rendering_language(rendered: RenderedEmail) -> str:
    """The language the rendering was made for (its ``<html lang>``: the list's language)."""
    found = _HTML_LANG.search(rendered.html[:4000])
    return found[1] if found else ""


def _select(text: str, *, key: str, audience: str) -> str:
    text = _AUDIENCE_SPAN.sub(lambda m: m[2] if m[1] == audience else "", text)
    wanted = key.upper()
    text = _LANG_SPAN.sub(lambda m: m[2] if m[1] == wanted else "", text)
    if NAME_MARK in text:
        # A rendering stored before the greeting marker: its greeting was "{name}您好！"
        # (Chinese) or absent (English). It gets today's greeting; no other name remains.
        text = text.replace(f"{NAME_MARK}您好！", GREETING_MARK).replace(NAME_MARK, "")
    return text


def localize(
    rendered: RenderedEmail, *, language: str, fallback: str = "", public: bool = False
) -> RenderedEmail:
    """``rendered`` in one language, for a recipient (or, with ``public``, for anyone).

    ``language`` is the subscriber's tag (may be empty); without a table for it the list's
    ``fallback``, else the rendering's own language, is used. The result's ``language`` is
    the table key (``zh``, ``en``), and it has no :data:`NAME_MARK` left. Costs one pass
    over each part: do it once per language of a send, not per recipient.
    """
    key = language_key(language, fallback=fallback or rendering_language(rendered))
    audience = "PUBLIC" if public else "RECIPIENT"
    return RenderedEmail(
        subject=rendered.subject,
        html=_select(rendered.html, key=key, audience=audience),
        text=_select(rendered.text, key=key, audience=audience),
        language=key,
    )


def personalize(
    rendered: RenderedEmail, *, unsubscribe_url: str, name: str, preferences_url: str = ""
) -> RenderedEmail:
    """The recipient's copy of ``rendered``: the markers replaced by the recipient's values.

    ``rendered`` should come from :func:`localize` (once per language); a stored rendering
    is localized here in its own language first, which costs more. The greeting is the
    language's, with the name or without one. ``unsubscribe_url`` and the greeting are
    HTML-escaped in the HTML part and used as they are in the text part; the name is first
    reduced to one line (no header or text injection through a hostile name). The subject
    carries no markers and is returned unchanged. ``preferences_url`` (the preference page)
    defaults to ``unsubscribe_url``: a copy without one still links somewhere that works.
    """
    if not rendered.language:
        rendered = localize(rendered, language="")
    who = display_name(name)
    greeting = strings_for(rendered.language).greeting(who)
    # A URL has no spaces or line breaks.
    url = "".join(remove_controls(unsubscribe_url).split())
    prefs = "".join(remove_controls(preferences_url).split()) or url
    # Passes over each part, as before languages: a localized copy has no NAME_MARK.
    page = rendered.html.replace(UNSUBSCRIBE_URL_MARK, html.escape(url, quote=True)).replace(
        GREETING_MARK, html.escape(greeting, quote=True)
    )
    text = rendered.text.replace(UNSUBSCRIBE_URL_MARK, url).replace(GREETING_MARK, greeting)
    if PREFERENCES_URL_MARK in page or PREFERENCES_URL_MARK in text:
        page = page.replace(PREFERENCES_URL_MARK, html.escape(prefs, quote=True))
        text = text.replace(PREFERENCES_URL_MARK, prefs)
    return RenderedEmail(subject=rendered.subject, html=page, text=text, language=rendered.language)


def archive_copy(
    rendered: RenderedEmail, *, archive_url: str = "", language: str = ""
) -> RenderedEmail:
    """The copy anyone may see (web archive, preview): no personal part at all.

    The public variant is kept (a sign-up link where a recipient has the unsubscribe link;
    no greeting), in ``language`` or the rendering's own. A rendering stored before the
    public variant existed has its unsubscribe marker pointed at ``archive_url``
    (``{base_url}/archive``) and its name left empty, as before.
    """
    public = localize(rendered, language=language, public=True)
    return personalize(public, unsubscribe_url=archive_url, name="")


__all__ = [
    "GREETING_MARK",
    "MARKERS",
    "NAME_MARK",
    "PREFERENCES_URL_MARK",
    "PUBLIC_ONLY",
    "RECIPIENT_ONLY",
    "UNSUBSCRIBE_URL_MARK",
    "archive_copy",
    "display_name",
    "localize",
    "personalize",
    "scrub_markers",
]

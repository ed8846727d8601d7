"""Per-recipient values: fixed markers in the rendered email, filled by plain ``str.replace``.

The issue is rendered once (MJML and premailer take milliseconds); each recipient's copy is
then made by substituting the markers below, which takes microseconds. The markers are plain
ASCII letters and underscores, so Jinja's escaping, MJML and premailer's HTML serializer all
leave them unchanged, also inside ``href`` attributes (the tests check this).
"""

from __future__ import annotations

import html
import re

from newsletter.render.rendered import RenderedEmail

#: Stands for the recipient's unsubscribe URL (the footer link, in both parts).
UNSUBSCRIBE_URL_MARK = "__NEWSLETTER_UNSUBSCRIBE_URL__"
#: Stands for the recipient's name; it is left empty when the subscriber gave none, so the
#: templates only put it where an empty string still reads well.
NAME_MARK = "__NEWSLETTER_RECIPIENT_NAME__"
#: Every marker; untrusted content is scrubbed of them before rendering.
MARKERS = (UNSUBSCRIBE_URL_MARK, NAME_MARK)

NAME_MAX = 80
_CONTROL_OR_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def display_name(name: str) -> str:
    """A display name fit for one line of text: no control characters, no line breaks."""
    return _CONTROL_OR_SPACE.sub(" ", name).strip()[:NAME_MAX].strip()


def personalize(rendered: RenderedEmail, *, unsubscribe_url: str, name: str) -> RenderedEmail:
    """The recipient's copy of ``rendered``: the markers replaced by the recipient's values.

    ``unsubscribe_url`` and ``name`` are HTML-escaped in the HTML part and used as they are in
    the text part; the name is first reduced to one line (no header or text injection through
    a hostile name). The subject carries no markers and is returned unchanged.
    """
    who = display_name(name)
    url = _CONTROL_OR_SPACE.sub("", unsubscribe_url)  # a URL has no spaces or line breaks
    page = rendered.html.replace(UNSUBSCRIBE_URL_MARK, html.escape(url, quote=True)).replace(
        NAME_MARK, html.escape(who, quote=True)
    )
    text = rendered.text.replace(UNSUBSCRIBE_URL_MARK, url).replace(NAME_MARK, who)
    return RenderedEmail(subject=rendered.subject, html=page, text=text)


def scrub_markers(value: str) -> str:
    """``value`` without any marker, so untrusted content cannot pose as a placeholder."""
    for mark in MARKERS:
        while mark in value:
            value = value.replace(mark, "")
    return value


def archive_copy(rendered: RenderedEmail, *, archive_url: str) -> RenderedEmail:
    """The copy anyone may see (web archive, preview): no name, and the unsubscribe link
    pointing harmlessly to ``archive_url`` (``{base_url}/archive``)."""
    return personalize(rendered, unsubscribe_url=archive_url, name="")

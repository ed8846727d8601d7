"""MJML to the HTML that is sent: mjml-python, then premailer, then the doctype put back.

premailer's defaults break MJML's output, so every option here is deliberate:

- ``strip_important=False``: MJML's ``@media`` column rules need their ``!important``, or
  desktop columns stack; so do our dark-mode rules, which must beat inline styles.
- ``keep_style_tags=True``: the ``@media`` rules must stay in the head.
- ``allow_network=False``: nothing is fetched while rendering.
- ``cssutils_logging_level=CRITICAL``: cssutils would log every ``mso-*`` property.
- ``disable_basic_attributes`` width/height: premailer would turn ``width:100%`` into
  ``width="100%"`` on images and overwrite MJML's pixel widths, which Outlook needs.
- MJML's own reset ``<style>`` blocks are marked ``data-premailer="ignore"``: MJML already
  inlines what its layout needs; inlining its resets onto every cell only adds bytes. Our
  stylesheet (it starts with ``/* newsletter``) is inlined, for clients that drop ``<style>``.
- premailer drops MJML's lowercase ``<!doctype html>``: it is put back.
"""

from __future__ import annotations

import logging
import re

import mjml
from premailer import Premailer

from newsletter.render.errors import RenderError
from newsletter.render.mjml_check import check_mjml

DOCTYPE = "<!doctype html>"
_IGNORE = ' data-premailer="ignore"'
_STYLE_OPEN = re.compile(r"<style(?P<attrs>[^>]*)>(?P<start>\s*/\* newsletter)?")


def mark_mjml_styles(page: str) -> str:
    def mark(m: re.Match[str]) -> str:
        if m["start"]:
            return m[0]
        return f"<style{m['attrs']}{_IGNORE}>"

    return _STYLE_OPEN.sub(mark, page)


def inline_css(page: str) -> str:
    """premailer over mjml2html's output, with settings that keep MJML's layout intact.

    ``strip_important=False`` keeps the ``!important`` of MJML's ``@media`` column rules,
    MJML's own style blocks are marked so they are not inlined, no network is used, cssutils'
    chatter about mso-* properties is silenced, and width/height attributes stay in pixels.
    """
    inlined: str = Premailer(
        mark_mjml_styles(page),
        strip_important=False,
        keep_style_tags=True,
        allow_network=False,
        cssutils_logging_level=logging.CRITICAL,
        disable_basic_attributes=["width", "height"],
    ).transform()
    return inlined


def mjml_to_html(source: str) -> str:
    """The final HTML of an MJML document; :class:`RenderError` if the MJML is not valid."""
    problems = check_mjml(source)
    if problems:
        raise RenderError(f"invalid MJML: {'; '.join(problems[:5])}")
    try:
        page = mjml.mjml2html(source)
    except ValueError as exc:
        raise RenderError(f"MJML does not parse: {exc}") from None
    inlined = inline_css(page)
    # premailer never sees styles inside conditional comments or with a media attribute;
    # their ignore marks are dropped here.
    inlined = inlined.replace(_IGNORE, "")
    if not inlined.lstrip().lower().startswith("<!doctype"):
        inlined = f"{DOCTYPE}\n{inlined}"
    return inlined

"""Markup out of plain text: what a title or heading holds when the source put HTML in it."""

from __future__ import annotations

from lxml import etree, html

from newsletter.digest.model import clean_text

#: Elements whose content is code or styling, never visible text.
INVISIBLE = frozenset({"script", "style", "template", "noscript", "iframe", "object", "head"})


def strip_markup(text: str) -> str:
    """The visible text of ``text`` read as HTML: tags dropped, and the content of script,
    style and similar elements dropped with them (``<script>alert(1)</script>`` → ``""``)."""
    # Control characters are never visible, and lxml refuses them in text it is given.
    text = clean_text(text)
    try:
        root = html.fragment_fromstring(text, create_parent="div")
    except (etree.ParserError, ValueError):
        return text
    for el in list(root.iter(*INVISIBLE)):
        parent = el.getparent()
        if parent is not None:
            tail = el.tail or ""
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(el)
    return str(root.text_content())

"""Checks that HTML built from hostile input can run nothing."""

from __future__ import annotations

from newsletter.htmlscan import scan_html

#: Elements that run or embed something.
ACTIVE_ELEMENTS = ("script", "iframe", "object", "embed")
#: URL schemes that run or carry a document.
ACTIVE_SCHEMES = ("javascript", "data", "vbscript")


def assert_no_active_content(html: str) -> None:
    """No script or embedding element, no event-handler attribute, no href or src with a
    scheme that runs or carries a document."""
    doc = scan_html(html)
    assert not [e for e in doc.elements if e.tag in ACTIVE_ELEMENTS]
    for el in doc.elements:
        for name, value in el.attrs.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            if name in ("href", "src"):
                assert not value.strip().lower().startswith(ACTIVE_SCHEMES)

"""A small, typed scan of an HTML document: its elements with attributes, and its text.

Used by the lint (and by tests) to look at rendered emails. Conditional comments (Outlook's
``<!--[if mso]>``) are comments, so their content is not scanned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass(frozen=True)
class Element:
    """One start tag: its lower-case name and attributes (valueless ones map to "")."""

    tag: str
    attrs: dict[str, str]

    def get(self, name: str, default: str = "") -> str:
        """The value of attribute ``name`` (``default`` when absent)."""
        return self.attrs.get(name, default)


@dataclass
class Scan:
    """Every element in document order, and the visible text (style and script left out)."""

    elements: list[Element] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str) -> list[Element]:
        """The elements named ``tag``."""
        return [e for e in self.elements if e.tag == tag]


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = Scan()
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scan.elements.append(Element(tag, {k: v or "" for k, v in attrs}))
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._text.append(data)


def scan_html(html: str) -> Scan:
    """Scan ``html`` (any HTML; it need not be well formed)."""
    scanner = _Scanner()
    scanner.feed(html)
    scanner.close()
    scanner.scan.text = "".join(scanner._text)
    return scanner.scan

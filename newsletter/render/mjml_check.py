"""A check of generated MJML against the MJML 4 elements and where each may appear.

mjml-python (MRML) does not refuse what it does not know: an unknown or misplaced ``mj-*``
element is passed through as a raw tag or dropped, and ``<mj-style inline="inline">`` is
silently not inlined. So every MJML we generate is checked here before it is converted.
"""

from __future__ import annotations

from html.parser import HTMLParser

#: Elements whose content is HTML (or text), never MJML.
ENDING_TAGS = frozenset(
    {
        "mj-text",
        "mj-button",
        "mj-table",
        "mj-raw",
        "mj-navbar-link",
        "mj-social-element",
        "mj-accordion-title",
        "mj-accordion-text",
        "mj-style",
        "mj-title",
        "mj-preview",
    }
)

_CONTENT = frozenset(
    {
        "mj-accordion",
        "mj-button",
        "mj-carousel",
        "mj-divider",
        "mj-image",
        "mj-navbar",
        "mj-raw",
        "mj-social",
        "mj-spacer",
        "mj-table",
        "mj-text",
    }
)
_BODY_COMPONENTS = _CONTENT | {
    "mj-section",
    "mj-column",
    "mj-group",
    "mj-wrapper",
    "mj-hero",
    "mj-body",
    "mj-accordion-element",
    "mj-accordion-title",
    "mj-accordion-text",
    "mj-carousel-image",
    "mj-navbar-link",
    "mj-social-element",
}

#: MJML 4's elements and the parents each may have (None: the root). ``mj-include`` and
#: ``mj-html-attributes`` are MJML 4 elements too, but mjml-python cannot render them here
#: (no include loader; ``mj-html-attributes`` raises), so they are refused.
ALLOWED_PARENTS: dict[str, frozenset[str | None]] = {
    "mjml": frozenset({None}),
    "mj-head": frozenset({"mjml"}),
    "mj-body": frozenset({"mjml"}),
    "mj-attributes": frozenset({"mj-head"}),
    "mj-all": frozenset({"mj-attributes"}),
    "mj-class": frozenset({"mj-attributes"}),
    "mj-breakpoint": frozenset({"mj-head"}),
    "mj-font": frozenset({"mj-head"}),
    "mj-preview": frozenset({"mj-head"}),
    "mj-style": frozenset({"mj-head"}),
    "mj-title": frozenset({"mj-head"}),
    "mj-raw": frozenset(
        {"mj-head", "mj-body", "mj-wrapper", "mj-section", "mj-group", "mj-column", "mj-hero"}
        | {"mj-accordion", "mj-accordion-element", "mj-navbar", "mj-social"}
    ),
    "mj-wrapper": frozenset({"mj-body"}),
    "mj-section": frozenset({"mj-body", "mj-wrapper"}),
    "mj-hero": frozenset({"mj-body", "mj-wrapper"}),
    "mj-group": frozenset({"mj-section"}),
    "mj-column": frozenset({"mj-section", "mj-group"}),
    **{tag: frozenset({"mj-column", "mj-hero"}) for tag in _CONTENT - {"mj-raw"}},
    "mj-accordion-element": frozenset({"mj-accordion"}),
    "mj-accordion-title": frozenset({"mj-accordion-element"}),
    "mj-accordion-text": frozenset({"mj-accordion-element"}),
    "mj-carousel-image": frozenset({"mj-carousel"}),
    "mj-navbar-link": frozenset({"mj-navbar"}),
    "mj-social-element": frozenset({"mj-social"}),
}

#: Every MJML 4 element name (those mjml-python cannot render here included).
MJML4_ELEMENTS = frozenset(ALLOWED_PARENTS) | {"mj-include", "mj-html-attributes"}


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.classes_defined: set[str] = set()
        self.classes_used: list[tuple[str, int]] = []

    def _where(self) -> str:
        return f"line {self.getpos()[0]}"

    def _is_mjml(self, tag: str) -> bool:
        return tag == "mjml" or tag.startswith("mj-")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._start(tag, attrs):
            self.stack.pop()

    def _start(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        """Check one MJML start tag; True when it was pushed on the stack."""
        if not self._is_mjml(tag):
            return False
        parent = self.stack[-1] if self.stack else None
        if parent in ENDING_TAGS:
            self.problems.append(f"{self._where()}: <{tag}> inside <{parent}> is not MJML")
            return False
        values = dict(attrs)
        if tag not in MJML4_ELEMENTS:
            self.problems.append(f"{self._where()}: <{tag}> is not an MJML 4 element")
        elif tag not in ALLOWED_PARENTS:
            self.problems.append(f"{self._where()}: <{tag}> is not supported by mjml-python")
        elif parent not in ALLOWED_PARENTS[tag] and not (
            parent == "mj-attributes" and tag in _BODY_COMPONENTS
        ):
            where = f"<{parent}>" if parent else "the top level"
            self.problems.append(f"{self._where()}: <{tag}> cannot be in {where}")
        if tag == "mj-style" and "inline" in values:
            self.problems.append(
                f"{self._where()}: <mj-style inline> is not inlined by mjml-python"
            )
        if tag == "mj-class" and values.get("name"):
            self.classes_defined.add(str(values["name"]))
        if values.get("mj-class"):
            for name in str(values["mj-class"]).split():
                self.classes_used.append((name, self.getpos()[0]))
        self.stack.append(tag)
        return True

    def handle_endtag(self, tag: str) -> None:
        if not self._is_mjml(tag):
            return
        if not self.stack or self.stack[-1] != tag:
            top = f"<{self.stack[-1]}>" if self.stack else "nothing"
            self.problems.append(f"{self._where()}: </{tag}> closes {top}")
            return
        self.stack.pop()


def check_mjml(source: str) -> list[str]:
    """Problems in an MJML document (empty when it is fine), each naming the line.

    Checked: every ``mj-*`` element is an MJML 4 element that mjml-python renders, sits in a
    parent MJML allows, is closed; no MJML inside HTML-content elements; no
    ``mj-style inline``; every ``mj-class`` used is defined; the root is ``<mjml>`` with a
    head and a body.
    """
    checker = _Checker()
    checker.feed(source)
    checker.close()
    problems = checker.problems
    if checker.stack:
        problems.append(f"unclosed: {', '.join(f'<{t}>' for t in checker.stack)}")
    for name, line in checker.classes_used:
        if name not in checker.classes_defined:
            problems.append(f"line {line}: mj-class {name!r} is not defined")
    stripped = source.lstrip()
    if not stripped.startswith("<mjml"):
        problems.append("the document does not start with <mjml>")
    if "<mj-body" not in source:
        problems.append("no <mj-body>")
    return problems

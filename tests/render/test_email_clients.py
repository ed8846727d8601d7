"""The HTML against caniemail's data (npm @jsx-email/doiuse-email) for Outlook for Windows,
Gmail and Apple Mail, and the Word engine's rules: boxes, borders and padding on table cells.

Every feature these clients do not support must be one emails/README.md lists with its
fallback; a new one fails the test until it is listed (or removed).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from newsletter.htmlscan import scan_html
from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.render.personalize import archive_copy, localize, personalize
from newsletter.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "support" / "caniemail.mjs"
README = ROOT / "emails" / "README.md"
CLIENTS = (
    "outlook.windows",
    "gmail.desktop-webmail",
    "gmail.ios",
    "gmail.android",
    "apple-mail.macos",
    "apple-mail.ios",
)
#: The unsupported features we accept (their fallbacks are in emails/README.md).
ACCEPTED = {
    "@media",
    "Attribute selector",
    "Chaining selectors",
    "border-spacing",
    "outline",
    "overflow",
    "overflow-wrap",
    "table-layout",
    "target attribute",
    "white-space",
    "word-spacing",
}
_ERROR = re.compile(r"^`(?P<feature>.+?)` is not supported by `(?P<client>[a-z.-]+)`")


def _unsupported(html: str) -> dict[str, set[str]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "@jsx-email" / "doiuse-email").is_dir():
        pytest.fail("node or @jsx-email/doiuse-email is missing: run `npm ci`")
    result = subprocess.run(
        [node, str(SCRIPT), *CLIENTS],
        input=html.encode("utf-8"),
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout)
    found: dict[str, set[str]] = {}
    for error in report.get("errors", []):
        m = _ERROR.match(error)
        assert m, error
        found.setdefault(m["feature"], set()).add(m["client"])
    return found


def _recipient_copy(issue: Issue, settings: Settings, language: str) -> str:
    rendered = render_issue(issue, settings)
    copy = localize(rendered, language=language)
    return personalize(
        copy, unsubscribe_url="https://news.example.com/unsubscribe/t", name="A"
    ).html


def test_unsupported_features_are_the_documented_ones(
    sample_issue: Issue, render_settings: Settings
) -> None:
    found = _unsupported(_recipient_copy(sample_issue, render_settings, "zh"))
    assert set(found) <= ACCEPTED, {f: c for f, c in found.items() if f not in ACCEPTED}
    # The check itself sees Outlook's gaps (it would pass on an empty answer otherwise).
    assert "outlook.windows" in found["@media"]
    readme = README.read_text(encoding="utf-8")
    for feature in ACCEPTED:
        assert f"| {feature} |" in readme, f"{feature} is not listed in emails/README.md"


def test_archive_copy_has_no_other_gaps(
    sample_issue_2026: Issue, render_settings: Settings
) -> None:
    page = archive_copy(render_issue(sample_issue_2026, render_settings)).html
    found = _unsupported(page)
    assert set(found) <= ACCEPTED, {f: c for f, c in found.items() if f not in ACCEPTED}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_boxes_borders_and_padding_are_on_table_cells(
    language: str, sample_issue: Issue, render_settings: Settings
) -> None:
    """Outlook's Word engine ignores padding and borders on <div> and <ul>: only cells."""
    doc = scan_html(_recipient_copy(sample_issue, render_settings, language))
    for element in doc.elements:
        style = (element.get("style") or "").replace(" ", "")
        if re.search(r"(^|;)padding(-[a-z]+)?:(?!0(px)?(;|$))", style):
            assert element.tag in ("td", "th"), (element.tag, element.get("class"), style)
        if re.search(r"(^|;)border(-(top|right|bottom|left))?:(?!0|none)", style):
            assert element.tag in ("td", "th", "blockquote"), (element.tag, style)
    cells = {(td.get("class") or "") for td in doc.find("td")}
    assert "nl-box" in cells  # the summary box
    assert "nl-h2" in cells  # section headings
    assert "nl-bullet" in cells  # link lists
    assert not [ul for ul in doc.find("ul") if "nl-links" in (ul.get("class") or "")]
    assert not [d for d in doc.find("div") if "nl-box" in (d.get("class") or "")]

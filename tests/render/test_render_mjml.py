"""The generated MJML: only MJML 4 elements mjml-python renders, well placed; snapshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

import mjml
import pytest

from newsletter.models import Issue
from newsletter.render import render_issue_mjml
from newsletter.render.errors import RenderError
from newsletter.render.mjml_check import MJML4_ELEMENTS, check_mjml
from newsletter.render.pipeline import mjml_to_html
from newsletter.render.templates import environment
from newsletter.settings import Settings

SNAPSHOTS = Path(__file__).parent / "snapshots"
#: Set to 1 to rewrite the snapshots after a deliberate template change (then review the diff).
UPDATE = os.environ.get("NEWSLETTER_TEST_UPDATE_SNAPSHOTS") == "1"

#: The element list of the MJML 4 documentation, written out independently of the checker.
MJML4_DOCUMENTED = {
    "mjml", "mj-head", "mj-body", "mj-include",
    "mj-attributes", "mj-all", "mj-class", "mj-breakpoint", "mj-font", "mj-html-attributes",
    "mj-preview", "mj-style", "mj-title",
    "mj-accordion", "mj-accordion-element", "mj-accordion-title", "mj-accordion-text",
    "mj-button", "mj-carousel", "mj-carousel-image", "mj-column", "mj-divider", "mj-group",
    "mj-hero", "mj-image", "mj-navbar", "mj-navbar-link", "mj-raw", "mj-section", "mj-social",
    "mj-social-element", "mj-spacer", "mj-table", "mj-text", "mj-wrapper",
}  # fmt: skip


def _wrap(body: str, head: str = "") -> str:
    return f"<mjml><mj-head>{head}</mj-head><mj-body>{body}</mj-body></mjml>"


def test_checker_knows_exactly_the_mjml4_elements() -> None:
    assert set(MJML4_ELEMENTS) == MJML4_DOCUMENTED


@pytest.mark.parametrize("which", ["sample_issue", "sample_issue_2026"])
@pytest.mark.parametrize("test", [False, True])
def test_generated_mjml_is_valid(
    which: str, test: bool, request: pytest.FixtureRequest, render_settings: Settings
) -> None:
    issue: Issue = request.getfixturevalue(which)
    source = render_issue_mjml(issue, render_settings, test=test)
    assert check_mjml(source) == []
    tags = set(re.findall(r"<(mj-[a-z-]+|mjml)\b", source))
    assert tags <= MJML4_DOCUMENTED
    assert "mj-include" not in tags
    assert "mj-html-attributes" not in tags
    assert not re.search(r"<mj-style[^>]*\binline\b", source)


def test_every_email_template_gives_valid_mjml(render_settings: Settings) -> None:
    from newsletter.optin import render_confirmation

    # render_confirmation checks its MJML on the way; it raises if the check fails.
    email = render_confirmation(
        render_settings, confirm_url="https://news.example.com/c?t=1", list_name="AI 日报"
    )
    assert email.html.startswith("<!doctype html>")
    names = environment().list_templates()
    assert {"layout.mjml.j2", "issue.mjml.j2", "confirm.mjml.j2", "test_banner.mjml.j2"} <= set(
        names
    )


def test_mjml_python_silently_passes_unknown_tags() -> None:
    """Why the check exists: a typo renders without any error, and wrong."""
    html = mjml.mjml2html(
        _wrap("<mj-sektion><mj-column><mj-text>x</mj-text></mj-column></mj-sektion>")
    )
    assert "mj-sektion" in html  # emitted as a raw, unknown HTML tag


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        (_wrap("<mj-sektion></mj-sektion>"), "not an MJML 4 element"),
        (_wrap("<mj-section><mj-colum></mj-colum></mj-section>"), "not an MJML 4 element"),
        (_wrap("<mj-section><mj-text>x</mj-text></mj-section>"), "cannot be in <mj-section>"),
        (_wrap("<mj-column></mj-column>"), "cannot be in <mj-body>"),
        (_wrap("", '<mj-style inline="inline">.a{}</mj-style>'), "mj-style inline"),
        (_wrap("", "<mj-html-attributes></mj-html-attributes>"), "not supported"),
        (_wrap('<mj-include path="x.mjml" />'), "not supported"),
        (
            _wrap(
                "<mj-section><mj-column><mj-text><mj-image /></mj-text></mj-column></mj-section>"
            ),
            "inside <mj-text>",
        ),
        (_wrap("<mj-section><mj-column>"), "unclosed"),
        (
            _wrap(
                '<mj-section><mj-column><mj-text mj-class="big">x</mj-text></mj-column></mj-section>'
            ),
            "mj-class 'big' is not defined",
        ),
        ("<mj-body></mj-body>", "does not start with <mjml>"),
    ],
)
def test_checker_finds_problems(source: str, problem: str) -> None:
    problems = check_mjml(source)
    assert any(problem in p for p in problems), problems
    with pytest.raises(RenderError, match="MJML"):
        mjml_to_html(source)


def test_checker_accepts_html_inside_ending_tags() -> None:
    source = _wrap(
        '<mj-section><mj-column><mj-text><p>a<br>b</p><img src="https://example.org/i.png" alt="i">'
        "</mj-text></mj-column></mj-section>",
        '<mj-attributes><mj-text color="#000" /><mj-class name="big" font-size="20px" />'
        "</mj-attributes>",
    )
    assert check_mjml(source) == []


@pytest.mark.parametrize(
    ("which", "name"),
    [("sample_issue", "issue-2025-08-14.mjml"), ("sample_issue_2026", "issue-2026-01-20.mjml")],
)
def test_mjml_snapshot(
    which: str, name: str, request: pytest.FixtureRequest, render_settings: Settings
) -> None:
    issue: Issue = request.getfixturevalue(which)
    source = render_issue_mjml(issue, render_settings)
    path = SNAPSHOTS / name
    if UPDATE or not path.exists():
        path.write_text(source, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot {name} was missing and has been written: review and commit it")
    assert source == path.read_text(encoding="utf-8"), (
        f"the MJML differs from {path}; if the change is deliberate, rerun with "
        "NEWSLETTER_TEST_UPDATE_SNAPSHOTS=1 and review the diff"
    )

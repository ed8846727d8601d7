"""The rendered email in real Chromium: phone width, desktop layout, dark mode, inert content.

Debian's chromium is driven by Playwright. Remote images are answered with a generated
1200x500 PNG (no network here), wider than any column, so "images fit" means they scaled.
Screenshots go to test-artifacts/ for people to look at.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route

from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.render.personalize import archive_copy
from newsletter.settings import Settings
from tests.support.issues import issue_items
from tests.support.paths import ARTIFACTS

pytestmark = pytest.mark.browser

LONG_URL = (
    "https://example.org/" + "a-very-long-path-segment-without-any-break" * 6 + "?q=" + "x" * 80
)


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes((120, 160, 220)) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


IMAGE = _png(1200, 500)


def _route(route: Route) -> None:
    if route.request.resource_type == "image":
        route.fulfill(status=200, content_type="image/png", body=IMAGE)
    else:
        route.abort()


@pytest.fixture
def open_email(browser: Browser) -> Iterator[Callable[..., Page]]:
    pages: list[Page] = []

    def open_(
        html: str, *, width: int, dark: bool = False, dialogs: list[str] | None = None
    ) -> Page:
        page = browser.new_page(viewport={"width": width, "height": 900})
        pages.append(page)
        page.route("**/*", _route)
        if dialogs is not None:

            def on_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
        page.emulate_media(color_scheme="dark" if dark else "light")
        page.set_content(html, wait_until="load")
        return page

    yield open_
    for page in pages:
        page.close()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"render-{name}.png"), full_page=True)


def _public_html(issue: Issue, settings: Settings) -> str:
    rendered = render_issue(issue, settings)
    return archive_copy(rendered, archive_url="https://news.example.com/archive").html


def _geometry(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        """() => {
        const box = (el) => { const r = el.getBoundingClientRect();
            return {left: r.left, right: r.right, top: r.top, width: r.width}; };
        return {
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            images: [...document.images].map((img) => ({...box(img),
                loaded: img.complete && img.naturalWidth > 0, alt: img.alt})),
            headerColumns: [...document.querySelectorAll('.mj-column-per-50')].map(box),
            items: [...document.querySelectorAll('.nl-item')].map(box),
        };
    }"""
    )
    return result


def test_phone_width_does_not_scroll_sideways_and_images_fit(
    open_email: Callable[..., Page], sample_issue: Issue, render_settings: Settings
) -> None:
    page = open_email(_public_html(sample_issue, render_settings), width=375)
    geo = _geometry(page)
    _shot(page, "375")
    assert geo["scrollWidth"] <= geo["clientWidth"] == 375
    images = sum(len(i["images"]) for i in issue_items(sample_issue))
    assert len(geo["images"]) == images == 9
    for img in geo["images"]:
        assert img["loaded"], img
        assert img["left"] >= 0
        assert img["right"] <= 375, img
    # Mobile layout: the two header columns are stacked, each the full width.
    first, second = geo["headerColumns"]
    assert first["width"] == second["width"] == 375
    assert second["top"] > first["top"]
    # Stacked, the date and the "view in browser" link align left under the name.
    assert page.evaluate("getComputedStyle(document.querySelector('.nl-right div')).textAlign") == (
        "left"
    )


@pytest.mark.parametrize("width", [600, 800, 1280])
def test_desktop_layout_from_600_px(
    width: int, open_email: Callable[..., Page], sample_issue: Issue, render_settings: Settings
) -> None:
    page = open_email(_public_html(sample_issue, render_settings), width=width)
    geo = _geometry(page)
    _shot(page, str(width))
    assert geo["scrollWidth"] <= width
    # Desktop layout: the header columns sit side by side, half of the 600 px body each.
    first, second = geo["headerColumns"]
    assert first["top"] == second["top"]
    assert first["width"] == second["width"] == 300
    assert second["left"] == first["right"]
    # The body is 600 px wide and centred; images fill the column inside the padding.
    assert {round(i["width"]) for i in geo["items"]} == {600}
    left = (width - 600) / 2
    for img in geo["images"]:
        assert img["loaded"]
        assert img["left"] == left + 24
        assert img["width"] == 552


def test_long_urls_wrap_at_phone_width(
    open_email: Callable[..., Page], make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    issue = make_issue(
        body=f"see <{LONG_URL}> and [{LONG_URL}]({LONG_URL}) " + "Supercalifragilistic" * 8,
        links=[{"text": LONG_URL, "url": LONG_URL}],
        summary=LONG_URL,
    )
    page = open_email(_public_html(issue, render_settings), width=375)
    geo = _geometry(page)
    _shot(page, "375-long-urls")
    assert geo["scrollWidth"] <= 375


def _luminance(css_color: str) -> float:
    parts = css_color[css_color.index("(") + 1 : css_color.index(")")].split(",")
    r, g, b = (float(p) / 255 for p in parts[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_dark_mode_keeps_text_readable(
    open_email: Callable[..., Page], sample_issue: Issue, render_settings: Settings
) -> None:
    colours = {}
    for dark in (False, True):
        page = open_email(_public_html(sample_issue, render_settings), width=800, dark=dark)
        _shot(page, "800-dark" if dark else "800-light")
        colours[dark] = page.evaluate(
            """() => {
            const text = document.querySelector('.nl-item div');
            const card = document.querySelector('.nl-card');
            const page = document.body;
            return [getComputedStyle(text).color, getComputedStyle(card).backgroundColor,
                    getComputedStyle(page).backgroundColor];
        }"""
        )
    light_text, light_card, _ = (_luminance(c) for c in colours[False])
    dark_text, dark_card, dark_page = (_luminance(c) for c in colours[True])
    assert light_text < 0.2 < 0.9 < light_card
    assert dark_card < 0.15
    assert dark_page < 0.15
    assert dark_text > 0.8  # light text on a dark card


def test_hostile_content_runs_nothing(
    open_email: Callable[..., Page], make_issue: Callable[..., Issue], render_settings: Settings
) -> None:
    issue = make_issue(
        title="<img src=x onerror=alert(1)>",
        body=(
            "<script>alert(2)</script><img src=x onerror=alert(3)> [x](javascript:alert(4)) "
            "<svg onload=alert(5)>"
        ),
        links=[{"text": "<b onmouseover=alert(6)>l</b>", "url": "javascript:alert(7)"}],
        images=[{"url": "https://example.org/i.png", "alt": '"><script>alert(8)</script>'}],
    )
    dialogs: list[str] = []
    page = open_email(_public_html(issue, render_settings), width=800, dialogs=dialogs)
    for link in page.query_selector_all("a"):
        link.hover()
    page.wait_for_timeout(200)  # let any error or load handler fire
    assert dialogs == []
    assert page.evaluate("document.scripts.length") == 0
    # The harness does see a script that runs.
    page.evaluate("() => alert('probe')")
    assert dialogs == ["probe"]

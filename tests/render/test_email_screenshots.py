"""The sample issue as a subscriber sees it, in Chromium: 375 px and 600 px, light and dark.

Screenshots go to test-artifacts/email-<width>-<light|dark>.png for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route

from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.render.personalize import localize, personalize
from newsletter.settings import Settings

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _route(route: Route) -> None:
    route.abort()  # nothing remote: images show their alt text


@pytest.fixture
def pages(browser: Browser) -> Iterator[list[Page]]:
    opened: list[Page] = []
    yield opened
    for page in opened:
        page.close()


def _luminance(css_color: str) -> float:
    parts = css_color[css_color.index("(") + 1 : css_color.index(")")].split(",")
    r, g, b = (float(p) / 255 for p in parts[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshot_of_the_sample_issue(
    width: int,
    dark: bool,
    browser: Browser,
    pages: list[Page],
    sample_issue: Issue,
    render_settings: Settings,
) -> None:
    rendered = render_issue(sample_issue, render_settings)
    copy = personalize(
        localize(rendered, language="zh-CN"),
        unsubscribe_url="https://news.example.com/unsubscribe/token",
        name="Alice Wang",
    )
    page = browser.new_page(viewport={"width": width, "height": 900})
    pages.append(page)
    page.route("**/*", _route)
    page.emulate_media(color_scheme="dark" if dark else "light")
    page.set_content(copy.html, wait_until="load")
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"email-{width}-{'dark' if dark else 'light'}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    found = page.evaluate(
        """() => ({
        scroll: document.documentElement.scrollWidth,
        text: document.body.innerText,
        box: getComputedStyle(document.querySelector('td.nl-box')).backgroundColor,
        card: getComputedStyle(document.querySelector('.nl-card')).backgroundColor,
        host: getComputedStyle(document.querySelector('.nl-host')).color,
        preheaderShown: document.querySelector('.nl-preheader').offsetHeight,
    })"""
    )
    assert found["scroll"] <= width
    assert "Alice Wang，您好！" in found["text"]
    assert "artificialintelligence-news.com" in found["text"]
    assert "Can Huawei’s op…" in found["text"]
    assert found["preheaderShown"] == 0
    if dark:
        assert _luminance(found["card"]) < 0.15
        assert _luminance(found["box"]) < 0.25
    else:
        assert _luminance(found["card"]) > 0.9
        assert _luminance(found["box"]) > 0.8
    assert (ARTIFACTS / name).stat().st_size > 10_000

"""The sample issue with its images converted and served locally, in real Chromium at 375 and
600 px: no image wider than its natural size or the column, none distorted, no sideways
scroll. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from sqlalchemy import Engine

from newsletter import compose, db
from newsletter.digest import load_digests
from newsletter.render.issue import render_store_and_lint
from newsletter.render.personalize import archive_copy
from newsletter.settings import Settings
from tests.support.image_server import ImageServer, serve_images
from tests.support.media_images import local_sample_digest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def stored_media(media_settings: Settings) -> Iterator[ImageServer]:
    """A local server of the media store's folder (what `newsletter serve` does at /media)."""
    media_settings.media_dir.mkdir(parents=True, exist_ok=True)
    with serve_images(media_settings.media_dir) as server:
        yield server


@pytest.fixture
def sample_html(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    stored_media: ImageServer,
    tmp_path: Path,
) -> str:
    settings = media_settings.model_copy(update={"media_base_url": stored_media.url})
    (digest,) = load_digests(local_sample_digest(image_server.url, tmp_path / "digest.md"))
    issue = compose.issue_from_digest(digest)
    with db.transaction(engine) as session:
        rendered, warnings, _ = render_store_and_lint(session, issue, settings)
    assert [w for w in warnings if w.code in ("image", "img-format", "img-alt")] == []
    return archive_copy(rendered, archive_url="https://news.example.com/archive").html


def _geometry(browser: Browser, html: str, width: int) -> dict[str, Any]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.set_content(html, wait_until="load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"media-{width}.png"), full_page=True)
        result: dict[str, Any] = page.evaluate(
            """() => ({
            scrollWidth: document.documentElement.scrollWidth,
            clientWidth: document.documentElement.clientWidth,
            images: [...document.images].map((img) => {
                const r = img.getBoundingClientRect();
                return {src: img.src, left: r.left, right: r.right, width: r.width,
                        height: r.height, natural: [img.naturalWidth, img.naturalHeight],
                        attr: [img.getAttribute('width'), img.getAttribute('height')],
                        loaded: img.complete && img.naturalWidth > 0};
            }),
        })"""
        )
        return result
    finally:
        page.close()


@pytest.mark.parametrize("width", [375, 600])
def test_converted_images_fit_and_keep_their_shape(
    width: int, browser: Browser, sample_html: str, stored_media: ImageServer
) -> None:
    geo = _geometry(browser, sample_html, width)
    assert geo["scrollWidth"] <= geo["clientWidth"] == width
    column = min(width, 600) - 48  # the body's 24 px padding on each side
    # 9 images in the sample: the site logo twice (shown once), 8 shown.
    assert len(geo["images"]) == 8
    for img in geo["images"]:
        assert img["loaded"], img
        assert img["src"].startswith(stored_media.url)
        natural_w, natural_h = img["natural"]
        assert img["width"] <= min(natural_w, column) + 0.5, img
        assert img["left"] >= 0, img
        assert img["right"] <= width, img
        # Shown with the stored image's own proportions (not stretched, not squashed).
        assert abs(img["height"] / img["width"] - natural_h / natural_w) < 0.02, img
        # The attributes give the size at the desktop column: Outlook uses them.
        assert int(img["attr"][0]) == min(natural_w, 552)
    # The 180 px logo stays 180 px; the 64 px icon 64 px.
    assert sorted(round(i["width"]) for i in geo["images"])[:2] == [64, 180]

"""An item's images as the templates get them: stored copy, real size, alt text, or nothing.

:class:`ImagePlacer` is made once per render and asked for each item's images in reading
order: it remembers what was shown, so the same image (the same bytes) is shown once, the
first time. Tracking pixels are left out. Without the stage's result (fetching off) every
image keeps its source URL and no size, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from newsletter.text import untrusted_text
from newsletter.urls import safe_web_url

if TYPE_CHECKING:
    from newsletter.media.stage import IssueMedia

#: Width of the content column: the 600 px body less the 24 px padding on each side.
COLUMN_WIDTH = 552
ALT_MAX = 120


class ImagePlacer:
    """Turns items' raw images into render-ready dicts: ``url``, ``alt``, ``width``,
    ``height`` (the two in CSS pixels as shown, or None when the size is unknown)."""

    def __init__(self, media: IssueMedia | None) -> None:
        self.media = media
        self._shown: set[str] = set()

    def images(
        self, raw_images: Iterable[Mapping[str, Any]], *, title: str
    ) -> list[dict[str, Any]]:
        """The images of one item whose title is ``title`` (the alt text when the digest
        gives none)."""
        placed: list[dict[str, Any]] = []
        for image in raw_images:
            url = safe_web_url(str(image.get("url", "")))
            if url is None:
                continue
            alt = (untrusted_text(str(image.get("alt", ""))).strip() or title)[:ALT_MAX]
            result = self.media.result(url) if self.media is not None else None
            if self.media is None or result is None or not result.stored:
                placed.append({"url": url, "alt": alt, "width": None, "height": None})
                continue
            if result.pixel or result.key in self._shown:
                continue
            self._shown.add(result.key)
            width, height = result.width or 1, result.height or 1
            shown = min(width, COLUMN_WIDTH)
            placed.append(
                {
                    "url": result.url,
                    "alt": "" if self.media.decorative(result) else alt,
                    "width": shown,
                    "height": max(1, round(height * shown / width)),
                }
            )
        return placed

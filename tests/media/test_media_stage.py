"""The image stage against a real local HTTP server: per case, what the email references,
what is stored (format, size) and the warning; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine, func, select

from newsletter import db
from newsletter.errors import StateError
from newsletter.htmlscan import Element, scan_html
from newsletter.media.check import check_issue_media
from newsletter.media.stage import IssueMedia, prepare_issue_media
from newsletter.media.store import media_store, name_in_store
from newsletter.models import Issue, MediaImage
from newsletter.render.issue import render_store_and_lint
from newsletter.render.lint import LintWarning, image_report
from newsletter.render.rendered import RenderedEmail
from newsletter.settings import Settings
from tests.support.image_server import ImageServer

Rendered = tuple[RenderedEmail, list[LintWarning], IssueMedia | None]


def _render(engine: Engine, issue: Issue, settings: Settings) -> Rendered:
    with db.transaction(engine) as session:
        return render_store_and_lint(session, issue, settings)


def _item_images(html: str) -> list[Element]:
    """The <img> of the items (the header has no logo in the test settings)."""
    return scan_html(html).find("img")


def _stored(settings: Settings, url: str) -> Image.Image:
    name = name_in_store(media_store(settings), url)
    assert name is not None, url
    data = (settings.media_dir / name).read_bytes()
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _warnings(warnings: list[LintWarning], code: str = "image") -> list[str]:
    return [w.message for w in warnings if w.code == code]


def test_avif_and_webp_become_jpeg_at_most_1200_px(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    avif, webp = f"{image_server.url}/news-1.avif", f"{image_server.url}/photo.webp"
    rendered, warnings, _ = _render(engine, image_issue([avif], [webp]), media_settings)
    first, second = _item_images(rendered.html)
    base = f"{media_settings.base_url}/media/"
    assert first.get("src").startswith(base)
    assert first.get("src").endswith(".jpg")
    assert second.get("src").startswith(base)
    assert second.get("src").endswith(".jpg")
    # 1600x900 AVIF: stored as a 1200x675 JPEG, shown 552 px wide (the column), same ratio.
    stored = _stored(media_settings, first.get("src"))
    assert (stored.format, stored.size) == ("JPEG", (1200, 675))
    assert (first.get("width"), first.get("height")) == ("552", "310")
    # 1000x600 WebP: a 1000x600 JPEG, shown at the column width too.
    stored = _stored(media_settings, second.get("src"))
    assert (stored.format, stored.size) == ("JPEG", (1000, 600))
    assert (second.get("width"), second.get("height")) == ("552", "331")
    assert first.get("alt") == "Item 1"
    assert second.get("alt") == "Item 2"
    assert _warnings(warnings) == []
    assert _warnings(warnings, "img-format") == []
    assert "avif" not in rendered.html.lower().replace("nl-", "")


def test_heic_becomes_jpeg(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    rendered, warnings, _ = _render(
        engine, image_issue([f"{image_server.url}/photo.heic"]), media_settings
    )
    (img,) = _item_images(rendered.html)
    stored = _stored(media_settings, img.get("src"))
    assert (stored.format, stored.size) == ("JPEG", (800, 600))
    assert (img.get("width"), img.get("height")) == ("552", "414")
    assert _warnings(warnings) == []


def test_animated_webp_becomes_an_animated_gif(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    rendered, warnings, media = _render(
        engine, image_issue([f"{image_server.url}/anim.webp"]), media_settings
    )
    (img,) = _item_images(rendered.html)
    assert img.get("src").endswith(".gif")
    stored = _stored(media_settings, img.get("src"))
    assert (stored.format, stored.size, getattr(stored, "n_frames", 1)) == ("GIF", (300, 200), 3)
    # Smaller than the column: shown at its own width.
    assert (img.get("width"), img.get("height")) == ("300", "200")
    assert media is not None
    assert "animated WEBP to GIF (3 frames)" in image_report(media)[0]
    assert _warnings(warnings) == []


def test_transparency_is_kept_as_png(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    png, webp = f"{image_server.url}/alpha.png", f"{image_server.url}/alpha.webp"
    rendered, _, _ = _render(engine, image_issue([png], [webp]), media_settings)
    first, second = _item_images(rendered.html)
    # The PNG passes unchanged (the very bytes); the transparent WebP becomes a PNG with alpha.
    served = (Path(__file__).parents[1] / "samples" / "images" / "alpha.png").read_bytes()
    name = name_in_store(media_store(media_settings), first.get("src"))
    assert name is not None
    assert (media_settings.media_dir / name).read_bytes() == served
    stored = _stored(media_settings, second.get("src"))
    assert stored.format == "PNG"
    assert stored.mode in ("RGBA", "LA", "P")
    assert stored.convert("RGBA").getpixel((0, 0)) == (0, 0, 0, 0)
    assert (second.get("width"), second.get("height")) == ("400", "300")


def test_pixels_dropped_repeats_shown_once_logos_decorative(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    logo, copy = f"{image_server.url}/logo.png", f"{image_server.url}/copy/logo.png"
    pixel, photo = f"{image_server.url}/pixel.gif", f"{image_server.url}/photo.jpg"
    issue = image_issue([logo, pixel], [copy, photo], [logo], titles=["A", "B", "C"])
    rendered, warnings, media = _render(engine, issue, media_settings)
    images = _item_images(rendered.html)
    # The logo (same bytes under two URLs, three times) once, the pixel never, the photo once.
    assert [(i.get("width"), i.get("alt")) for i in images] == [("180", ""), ("552", "B")]
    assert images[0].get("height") == "60"
    assert pixel not in rendered.html
    # An empty alt on a decorative image is deliberate: no img-alt warning.
    assert _warnings(warnings, "img-alt") == []
    assert _warnings(warnings) == []
    assert media is not None
    report = "\n".join(image_report(media))
    assert "tracking pixel: dropped" in report
    assert 'appears 3 times: shown once; decorative: alt=""' in report
    assert image_server.hits["/logo.png"] == 1  # one download per URL, not per appearance


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (
            "/huge.png",
            "not decoded (32615 bytes served as image/png): refused as a decompression bomb (144,000,000 pixels)",
        ),
        ("/text.png", "not decoded (24 bytes served as image/png): not an image in a known format"),
        ("/slow.png", "not fetched: timed out after 1 s"),
        ("/missing.png", "not fetched: HTTP 404"),
    ],
)
def test_an_image_that_fails_keeps_its_url_and_warns(
    path: str,
    reason: str,
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    url = f"{image_server.url}{path}"
    if path == "/slow.png":  # answers after 3 s
        media_settings = media_settings.model_copy(update={"media_timeout_seconds": 1.0})
    rendered, warnings, _ = _render(engine, image_issue([url]), media_settings)
    (img,) = _item_images(rendered.html)
    assert img.get("src") == url
    assert img.get("width") in ("", "552")  # no size known: MJML's column width, as before
    assert _warnings(warnings) == [f"{reason}; kept as {url}"]
    assert (
        not any(media_settings.media_dir.glob("*")) if media_settings.media_dir.exists() else True
    )


def test_redirects_to_loopback_or_metadata_are_refused(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    other_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    image_server.redirect_to["/to-loopback.png"] = f"{other_server.url}/logo.png"
    image_server.redirect_to["/to-metadata.png"] = "http://169.254.169.254/latest/meta-data/"
    image_server.redirect_to["/to-self.png"] = "/photo.jpg"
    urls = [
        f"{image_server.url}{p}" for p in ("/to-loopback.png", "/to-metadata.png", "/to-self.png")
    ]
    rendered, warnings, _ = _render(engine, image_issue(*[[u] for u in urls]), media_settings)
    srcs = [i.get("src") for i in _item_images(rendered.html)]
    assert srcs[:2] == urls[:2]
    assert srcs[2].startswith(f"{media_settings.base_url}/media/")  # a redirect to itself is fine
    assert _warnings(warnings) == [
        f"not fetched: redirect 1 to {other_server.url}/logo.png: refused: 127.0.0.1 is not a "
        f"public address; kept as {urls[0]}",
        "not fetched: redirect 1 to http://169.254.169.254/latest/meta-data/: refused: "
        f"169.254.169.254 is not a public address; kept as {urls[1]}",
    ]
    assert sum(other_server.hits.values()) == 0  # the refused hop was never requested


def test_without_the_allowance_the_local_server_is_refused(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    closed = media_settings.model_copy(update={"media_allow_hosts": []})
    url = f"{image_server.url}/photo.jpg"
    _, warnings, _ = _render(engine, image_issue([url]), closed)
    assert _warnings(warnings) == [
        f"not fetched: refused: 127.0.0.1 is not a public address; kept as {url}"
    ]
    assert sum(image_server.hits.values()) == 0


def test_rerender_reuses_stored_images_and_refetches_a_lost_copy(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    urls = [f"{image_server.url}/news-2.avif", f"{image_server.url}/wide.png"]
    first, _, _ = _render(engine, image_issue(urls), media_settings)
    again, _, media = _render(engine, image_issue(urls), media_settings)
    assert again.html == first.html
    assert image_server.hits["/news-2.avif"] == image_server.hits["/wide.png"] == 1
    assert media is not None
    assert all(r.reused for r in media.images.values())
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(MediaImage)) == 2
    # A copy lost from the store is fetched and stored again; the send check sees it first.
    src = _item_images(first.html)[0].get("src")
    name = name_in_store(media_store(media_settings), src)
    assert name is not None
    (media_settings.media_dir / name).unlink()
    with pytest.raises(StateError, match=r"^1 stored image\(s\) of the issue are missing"):
        check_issue_media(first.html, media_settings)
    third, _, _ = _render(engine, image_issue(urls), media_settings)
    assert third.html == first.html
    assert image_server.hits["/news-2.avif"] == 2
    check_issue_media(third.html, media_settings)
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(MediaImage)) == 2


def test_exif_orientation_applied_and_metadata_stripped(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    rendered, _, _ = _render(
        engine, image_issue([f"{image_server.url}/rotated.jpg"]), media_settings
    )
    (img,) = _item_images(rendered.html)
    stored = _stored(media_settings, img.get("src"))
    assert stored.size == (600, 400)  # stored on its side (400x600) with orientation 6
    assert stored.getexif().get(0x0112) is None
    assert (img.get("width"), img.get("height")) == ("552", "368")


def test_fetching_off_keeps_source_urls(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    offline = media_settings.model_copy(update={"media_fetch": False})
    url = f"{image_server.url}/news-1.avif"
    with db.transaction(engine) as session:
        assert prepare_issue_media(session, image_issue([url]), offline) is None
    rendered, warnings, media = _render(engine, image_issue([url]), offline)
    assert [i.get("src") for i in _item_images(rendered.html)] == [url]
    assert [w.code for w in warnings] == ["img-format", "insecure-image"]
    assert media is None
    assert image_report(media) == []
    assert sum(image_server.hits.values()) == 0


def test_a_truncated_image_keeps_its_url_and_warns(
    engine: Engine,
    media_settings: Settings,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    data = (Path(__file__).parents[1] / "samples" / "images" / "photo.jpg").read_bytes()
    image_server.extra["/cut.jpg"] = (200, {"Content-Type": "image/jpeg"}, data[: len(data) // 3])
    url = f"{image_server.url}/cut.jpg"
    rendered, warnings, _ = _render(engine, image_issue([url]), media_settings)
    assert [i.get("src") for i in _item_images(rendered.html)] == [url]
    (warning,) = _warnings(warnings)
    assert warning.startswith(f"not decoded ({len(data) // 3} bytes served as image/jpeg): ")
    assert warning.endswith(f"; kept as {url}")

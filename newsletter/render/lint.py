"""A lint of a rendered email: what makes it clipped, unreadable or non-compliant somewhere.

Run by every render (warnings are logged) and by ``newsletter issue lint`` (printed;
``--strict`` makes them fail). It reads the rendered email before personalization: the
unsubscribe link is found by its placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from newsletter.htmlscan import scan_html
from newsletter.identity import brand_problem, postal_address_problem
from newsletter.render.personalize import UNSUBSCRIBE_URL_MARK
from newsletter.render.rendered import RenderedEmail
from newsletter.settings import Settings

if TYPE_CHECKING:
    from newsletter.media.stage import ImageResult, IssueMedia

#: Gmail clips an HTML body over about 102 KB, hiding the footer and its unsubscribe link.
GMAIL_CLIP_BYTES = 102 * 1024
#: Warn early, leaving room for the per-recipient values and the MIME headers.
SIZE_WARN_BYTES = 90 * 1024
#: Image formats that Outlook for Windows does not show.
OUTLOOK_UNSUPPORTED = ("avif", "webp", "svg")
_FORMAT_PARAMS = {"fmt", "format", "wx_fmt", "type"}


@dataclass(frozen=True)
class LintWarning:
    """One problem: a short code (e.g. ``img-alt``) and a one-line message."""

    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _image_format(url: str) -> str | None:
    """The unsupported format an image URL names by its extension or a format parameter."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    path = parts.path.lower()
    for fmt in OUTLOOK_UNSUPPORTED:
        if path.endswith(f".{fmt}"):
            return fmt
    for key, value in parse_qsl(parts.query):
        if key.lower() in _FORMAT_PARAMS and value.lower() in OUTLOOK_UNSUPPORTED:
            return value.lower()
    return None


def _short(url: str, limit: int = 90) -> str:
    return url if len(url) <= limit else url[: limit - 1] + "…"


def lint_email(rendered: RenderedEmail, *, media: IssueMedia | None = None) -> list[LintWarning]:
    """Every warning for ``rendered``, in a stable order (an empty list when it is clean).

    Checked: HTML size against Gmail's clipping (warning over 90 KB), images without alt
    text, AVIF/WebP/SVG images (not shown by Outlook for Windows), ``http://`` links and
    images, a missing unsubscribe link (in either part), a missing plain-text part; with the
    image stage's result (``media``), every image that could not be fetched or decoded (the
    email keeps its source URL), and decorative images are allowed an empty alt.
    """
    warnings: list[LintWarning] = []
    decorative: set[str] = set()
    if media is not None:
        for result in media.images.values():
            if result.error is not None:
                warnings.append(
                    LintWarning("image", f"{result.error}; kept as {_short(result.source_url)}")
                )
            elif media.decorative(result):
                decorative.add(result.url)
    size = len(rendered.html.encode("utf-8"))
    if size > SIZE_WARN_BYTES:
        clipped = " and Gmail clips it" if size > GMAIL_CLIP_BYTES else ""
        warnings.append(
            LintWarning(
                "size",
                f"the HTML is {size / 1024:.1f} KB{clipped} (Gmail clips over about "
                f"{GMAIL_CLIP_BYTES // 1024} KB; keep it under {SIZE_WARN_BYTES // 1024} KB)",
            )
        )
    if not rendered.text.strip():
        warnings.append(LintWarning("no-text", "the plain-text part is missing"))
    if not rendered.html.strip():
        warnings.append(LintWarning("no-html", "the HTML part is missing"))
        return warnings
    doc = scan_html(rendered.html)
    seen: set[str] = set()
    for img in doc.find("img"):
        src = (img.get("src") or "").strip()
        if not (img.get("alt") or "").strip() and src not in decorative:
            warnings.append(LintWarning("img-alt", f"image without alt text: {_short(src)}"))
        fmt = _image_format(src)
        if fmt and src not in seen:
            warnings.append(
                LintWarning(
                    "img-format",
                    f"{fmt.upper()} image, not shown by Outlook for Windows: {_short(src)}",
                )
            )
        if src.lower().startswith("http://") and src not in seen:
            warnings.append(LintWarning("insecure-image", f"image over http://: {_short(src)}"))
        seen.add(src)
    unsubscribe = False
    for a in doc.find("a"):
        href = (a.get("href") or "").strip()
        if href == UNSUBSCRIBE_URL_MARK:
            unsubscribe = True
        if href.lower().startswith("http://") and href not in seen:
            warnings.append(LintWarning("insecure-link", f"link over http://: {_short(href)}"))
        seen.add(href)
    if not unsubscribe:
        warnings.append(
            LintWarning("no-unsubscribe", "the HTML part has no unsubscribe link placeholder")
        )
    if rendered.text.strip() and UNSUBSCRIBE_URL_MARK not in rendered.text:
        warnings.append(
            LintWarning("no-unsubscribe", "the plain-text part has no unsubscribe link placeholder")
        )
    return warnings


def lint_identity(settings: Settings, rendered: RenderedEmail | None = None) -> list[LintWarning]:
    """Warnings about who the email says it is from (the settings, not the content).

    ``postal-address``: ``NEWSLETTER_POSTAL_ADDRESS`` is missing (a real send refuses) or an
    example/demo value, or ``rendered`` (the stored rendering) does not show the address the
    settings have now (it was rendered before the address was set or changed).
    ``brand``: the From display name differs from ``NEWSLETTER_NEWSLETTER_NAME``.
    """
    warnings: list[LintWarning] = []
    postal = postal_address_problem(settings)
    if postal is not None:
        warnings.append(LintWarning("postal-address", postal))
    address = " ".join(settings.postal_address.split())
    if address and rendered is not None and address not in " ".join(rendered.text.split()):
        warnings.append(
            LintWarning(
                "postal-address",
                "the rendering's footer does not show NEWSLETTER_POSTAL_ADDRESS: render the "
                "issue again (`newsletter issue render`)",
            )
        )
    brand = brand_problem(settings)
    if brand is not None:
        warnings.append(LintWarning("brand", brand))
    return warnings


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} B"


def image_line(result: ImageResult, media: IssueMedia) -> str:
    """One line on what became of an image: source format and size, what was done."""
    url = _short(result.source_url, 80)
    if result.error is not None:
        return f"kept as is ({result.error}): {url}"
    source = (
        f"{result.source_format} {result.source_width}x{result.source_height} "
        f"{_size(result.source_bytes)}"
    )
    stored = f"{result.stored_format} {result.width}x{result.height} {_size(result.stored_bytes)}"
    notes = [result.action]
    if result.pixel:
        notes.append("tracking pixel: dropped")
    elif media.repeated(result):
        count = media.appearances[result.key]
        notes.append(f"appears {count} times: shown once")
        if media.decorative(result):
            notes.append('decorative: alt=""')
    if result.reused:
        notes.append("stored before: not downloaded again")
    return f"{source} -> {stored} ({'; '.join(notes)}): {url}"


def image_report(media: IssueMedia | None) -> list[str]:
    """Per image of the issue, :func:`image_line`; nothing when fetching is off (then the
    lint's warnings are what they are without the stage)."""
    if media is None:
        return []
    return [image_line(result, media) for result in media.images.values()]

"""The image stage: once per issue, at render time, every image fetched, converted and stored.

:func:`prepare_issue_media` maps each image URL of the issue to an :class:`ImageResult`: the
stored copy (its URL, real width and height) or, when the image could not be fetched or
decoded, the original URL and the reason. Images recorded before (table ``media``) whose
copy is still in the store are reused without a download. It never runs per recipient.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace

import httpx
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy.orm import Session

from newsletter.media import records
from newsletter.media.convert import Converted, DecodeError, convert_image
from newsletter.media.fetch import FetchError, FetchLimits, fetch_image
from newsletter.media.store import MediaStore, media_name, media_store, media_url
from newsletter.models import Issue, MediaImage
from newsletter.settings import Settings
from newsletter.urls import safe_web_url

#: Images at most this many pixels each way are tracking pixels: dropped.
PIXEL_MAX = 2
#: Images at most this wide and high that appear more than once are decorative (logos, icons).
SMALL_MAX = 256
_WORKERS = 4


@dataclass(frozen=True)
class ImageResult:
    """What became of one source image URL."""

    source_url: str
    #: What the email references: the stored copy, or the source URL when it failed.
    url: str
    width: int | None = None
    height: int | None = None
    source_sha256: str | None = None
    source_format: str | None = None
    source_bytes: int | None = None
    source_width: int | None = None
    source_height: int | None = None
    stored_format: str | None = None
    stored_bytes: int | None = None
    action: str = ""
    error: str | None = None
    reused: bool = False

    @property
    def stored(self) -> bool:
        """Whether the email can use a stored copy."""
        return self.error is None and self.width is not None

    @property
    def pixel(self) -> bool:
        """A tracking pixel (1x1, 2x2): dropped from the email."""
        w, h = self.source_width or 0, self.source_height or 0
        return self.stored and w <= PIXEL_MAX and h <= PIXEL_MAX

    @property
    def key(self) -> str:
        """Equal for the same bytes (two URLs of one logo), else the URL."""
        return self.source_sha256 or self.source_url


@dataclass
class IssueMedia:
    """The stage's result for one issue: per URL, and how often each image appears."""

    images: dict[str, ImageResult]
    #: Appearances per :attr:`ImageResult.key`, over the whole issue.
    appearances: Counter[str] = field(default_factory=Counter)

    def result(self, url: str) -> ImageResult | None:
        """The result for ``url`` (None when the URL was not part of the stage)."""
        return self.images.get(url)

    def repeated(self, result: ImageResult) -> bool:
        """Whether the same bytes appear more than once in the issue."""
        return self.appearances[result.key] > 1

    def decorative(self, result: ImageResult) -> bool:
        """Small and repeated (a source's logo, an icon): shown with ``alt=""``."""
        w, h = result.width or 0, result.height or 0
        return self.repeated(result) and w <= SMALL_MAX and h <= SMALL_MAX


def issue_image_urls(issue: Issue) -> list[str]:
    """Every image URL of the issue in reading order (repeats kept), as the email uses them."""
    urls = []
    for section in issue.sections:
        # Blocks (items and text blocks); an issue composed before blocks had only items.
        blocks = section.get("blocks")
        for block in (section.get("items") or []) if blocks is None else blocks:
            for image in block.get("images") or []:
                url = safe_web_url(str(image.get("url", "")))
                if url is not None:
                    urls.append(url)
    return urls


def _from_record(row: MediaImage, store: MediaStore) -> ImageResult:
    return ImageResult(
        source_url=row.source_url,
        url=media_url(store, row.name),
        width=row.width,
        height=row.height,
        source_sha256=row.source_sha256,
        source_format=row.source_format,
        source_bytes=row.source_bytes,
        source_width=row.source_width,
        source_height=row.source_height,
        stored_format=row.stored_format,
        stored_bytes=row.stored_bytes,
        action=row.action,
        reused=True,
    )


def _record_of(url: str, source_sha: str, name: str, conv: Converted) -> MediaImage:
    return MediaImage(
        source_url=url,
        source_sha256=source_sha,
        source_format=conv.source_format,
        source_bytes=conv.source_bytes,
        source_width=conv.source_width,
        source_height=conv.source_height,
        name=name,
        stored_format=conv.format,
        stored_bytes=len(conv.data),
        width=conv.width,
        height=conv.height,
        frames=conv.frames,
        action=conv.action,
    )


def process_image(
    url: str,
    *,
    client: httpx.Client,
    store: MediaStore,
    settings: Settings,
) -> tuple[ImageResult, MediaImage | None]:
    """Fetch, convert and store one image: its result, and the record to keep (None on
    failure, when the result keeps ``url`` and says why)."""
    limits = FetchLimits(
        timeout_seconds=settings.media_timeout_seconds,
        max_bytes=settings.media_max_bytes,
        max_redirects=settings.media_max_redirects,
    )
    try:
        fetched = fetch_image(
            url, client=client, limits=limits, allow_hosts=frozenset(settings.media_allow_hosts)
        )
    except FetchError as exc:
        return ImageResult(source_url=url, url=url, error=f"not fetched: {exc}"), None
    source_sha = hashlib.sha256(fetched.data).hexdigest()
    try:
        conv = convert_image(fetched.data, max_pixels=settings.media_max_pixels)
    except DecodeError as exc:
        error = f"not decoded ({len(fetched.data)} bytes"
        if fetched.content_type:
            error += f" served as {fetched.content_type.split(';')[0]}"
        return ImageResult(source_url=url, url=url, error=f"{error}): {exc}"), None
    name = media_name(conv.data, conv.extension)
    try:
        store.put(name, conv.data, conv.content_type)
    except (OSError, BotoCoreError, ClientError) as exc:
        return ImageResult(source_url=url, url=url, error=f"not stored: {exc}"), None
    row = _record_of(url, source_sha, name, conv)
    return replace(_from_record(row, store), reused=False), row


def prepare_images(
    urls: Sequence[str],
    *,
    session: Session,
    settings: Settings,
    store: MediaStore,
    client: httpx.Client | None = None,
) -> IssueMedia:
    """The stage over ``urls`` (in reading order, repeats kept); new copies are recorded.

    ``client`` defaults to :func:`make_client`, made only when something must be fetched.
    """
    unique = list(dict.fromkeys(urls))
    known = records.recorded(session, unique)
    results: dict[str, ImageResult] = {}
    todo: list[str] = []
    stale: dict[str, MediaImage] = {}
    for url in unique:
        row = known.get(url)
        if row is not None and store.exists(row.name):
            results[url] = _from_record(row, store)
        else:
            todo.append(url)
            if row is not None:
                stale[url] = row  # recorded, but the copy is gone from the store
    if todo:
        with (
            make_client() if client is None else nullcontext(client) as http,
            ThreadPoolExecutor(max_workers=min(_WORKERS, len(todo))) as pool,
        ):
            done = list(
                pool.map(
                    lambda u: process_image(u, client=http, store=store, settings=settings),
                    todo,
                )
            )
        for url, (result, row) in zip(todo, done, strict=True):
            results[url] = result
            if row is None:
                continue  # the lint names it; the email keeps the source URL
            if url in stale:
                _update(stale[url], row)
            else:
                records.record(session, row)
    session.flush()
    appearances = Counter(results[u].key for u in urls)
    return IssueMedia(images={u: results[u] for u in unique}, appearances=appearances)


def _update(old: MediaImage, new: MediaImage) -> None:
    for column in MediaImage.__table__.columns:
        if column.key not in ("id", "url_hash", "created_at"):
            setattr(old, column.key, getattr(new, column.key))


def make_client() -> httpx.Client:
    """The HTTP client of the stage: no redirects followed by itself, no proxies from the
    environment (every hop is checked by :func:`~newsletter.media.fetch.fetch_image`)."""
    return httpx.Client(follow_redirects=False, trust_env=False)


def prepare_issue_media(session: Session, issue: Issue, settings: Settings) -> IssueMedia | None:
    """The stage for ``issue``, or None when image fetching is off (``NEWSLETTER_MEDIA_FETCH``)."""
    if not settings.media_fetch:
        return None
    return prepare_images(
        issue_image_urls(issue), session=session, settings=settings, store=media_store(settings)
    )

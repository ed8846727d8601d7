"""The media store: where converted images live, named by a hash of their bytes.

A name is ``<32 hex digits of the SHA-256 of the bytes>.<jpg|png|gif>``: the same bytes always
get the same name, a name never changes its bytes, so every copy may be cached for ever
(:data:`CACHE_CONTROL`). Two stores:

- :class:`LocalMediaStore`: a folder, served by ``newsletter serve`` at ``/media/<name>``;
- :class:`S3MediaStore`: objects ``media/<name>`` in a bucket (public read for ``media/``
  only, see serverless.yml), optionally behind a CDN (``NEWSLETTER_MEDIA_BASE_URL``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from newsletter.errors import ConfigError
from newsletter.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

CACHE_CONTROL = "public, max-age=31536000, immutable"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif"}
NAME = re.compile(r"^[0-9a-f]{32}\.(?:jpg|png|gif)$")
S3_PREFIX = "media/"


def media_name(data: bytes, extension: str) -> str:
    """The content-addressed name of ``data``."""
    return f"{hashlib.sha256(data).hexdigest()[:32]}.{extension}"


def content_type_of(name: str) -> str | None:
    """The MIME type of a stored name, or None when ``name`` is not a store name."""
    if not NAME.match(name):
        return None
    return CONTENT_TYPES[name.rsplit(".", 1)[1]]


class MediaStore(Protocol):
    """Where stored images are put, checked and found by URL."""

    base_url: str

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Store ``data`` as ``name`` (nothing happens when it is there already)."""

    def exists(self, name: str) -> bool:
        """Whether ``name`` is stored."""


def media_url(store: MediaStore, name: str) -> str:
    """The public URL of ``name`` in ``store``."""
    return f"{store.base_url}/{name}"


def name_in_store(store: MediaStore, url: str) -> str | None:
    """The stored name ``url`` points at, or None when it points elsewhere."""
    prefix = f"{store.base_url}/"
    if not url.startswith(prefix):
        return None
    name = url[len(prefix) :]
    return name if NAME.match(name) else None


class LocalMediaStore:
    """A folder of stored images; files are written whole (temporary file, then rename)."""

    def __init__(self, folder: Path, *, base_url: str) -> None:
        self.folder = folder
        self.base_url = base_url.rstrip("/")

    def path(self, name: str) -> Path | None:
        """The file of ``name``, or None when ``name`` is not a store name."""
        return self.folder / name if NAME.match(name) else None

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Write ``data`` as ``name``; a crash leaves no partial file under that name."""
        path = self.path(name)
        if path is None:
            raise ValueError(f"not a media name: {name!r}")
        if path.exists():
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def exists(self, name: str) -> bool:
        """Whether ``name`` is stored."""
        path = self.path(name)
        return path is not None and path.is_file()


class S3MediaStore:
    """Objects ``media/<name>`` in an S3 bucket, with their type and a long cache lifetime."""

    def __init__(self, client: S3Client, *, bucket: str, base_url: str) -> None:
        self.client = client
        self.bucket = bucket
        self.base_url = base_url.rstrip("/")

    def put(self, name: str, data: bytes, content_type: str) -> None:
        """Upload ``data`` as ``media/<name>`` unless it is there already."""
        if self.exists(name):
            return
        self.client.put_object(
            Bucket=self.bucket,
            Key=f"{S3_PREFIX}{name}",
            Body=data,
            ContentType=content_type,
            CacheControl=CACHE_CONTROL,
        )

    def exists(self, name: str) -> bool:
        """Whether ``media/<name>`` is in the bucket."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=f"{S3_PREFIX}{name}")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def media_store(settings: Settings) -> LocalMediaStore | S3MediaStore:
    """The store the settings name; :class:`ConfigError` naming the missing setting."""
    base = settings.media_base_url.rstrip("/")
    if settings.media_store == "local":
        if not base:
            base = f"{settings.require_base_url()}/media"
        return LocalMediaStore(settings.media_dir, base_url=base)
    bucket = settings.media_s3_bucket
    if not bucket:
        raise ConfigError("NEWSLETTER_MEDIA_S3_BUCKET is not set: the S3 media store needs it")
    import boto3

    endpoint = settings.media_s3_endpoint_url or None
    client: S3Client = boto3.client(
        "s3", region_name=settings.media_s3_region, endpoint_url=endpoint
    )
    if not base:
        if endpoint:
            base = f"{endpoint.rstrip('/')}/{bucket}/media"
        else:
            base = f"https://{bucket}.s3.{settings.media_s3_region}.amazonaws.com/media"
    return S3MediaStore(client, bucket=bucket, base_url=base)

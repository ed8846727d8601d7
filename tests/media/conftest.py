"""Fixtures of the image tests: local image servers and settings that fetch from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsletter.models import Issue, IssueStatus
from newsletter.settings import Settings
from tests.support import aws
from tests.support.image_server import ImageServer, serve_images


@pytest.fixture
def image_server() -> Iterator[ImageServer]:
    """The server the tests fetch images from (its exact host:port is allowed)."""
    with serve_images() as server:
        yield server


@pytest.fixture
def other_server() -> Iterator[ImageServer]:
    """A second loopback server that must never be reached (not allowed)."""
    with serve_images() as server:
        yield server


@pytest.fixture
def media_settings(settings: Settings, image_server: ImageServer, tmp_path: Path) -> Settings:
    """The test settings with image fetching on, from ``image_server`` only."""
    return settings.model_copy(
        update={
            "media_fetch": True,
            "media_dir": tmp_path / "media",
            "media_allow_hosts": [image_server.hostport],
            "media_timeout_seconds": 5.0,  # loaded CI machines; /slow.png tests 1 s
        }
    )


@pytest.fixture
def image_issue() -> Callable[..., Issue]:
    """An in-memory issue with one item per list of image URLs given."""

    def make(*images: list[str], titles: list[str] | None = None) -> Issue:
        items = [
            {
                "title": (titles[n] if titles else f"Item {n + 1}"),
                "body": "Some text.",
                "links": [],
                "images": [{"url": url, "alt": ""} for url in urls],
                "source": "",
            }
            for n, urls in enumerate(images)
        ]
        return Issue(
            date=dt.date(2025, 8, 14),
            subject="Images",
            summary="One line.",
            preheader="One line.",
            sections=[{"name": "Section", "items": items}],
            status=IssueStatus.DRAFT,
        )

    return make


@pytest.fixture(scope="session")
def moto_s3() -> Iterator[str]:
    """moto's server (S3 over HTTP) of the media tests' own, for the session; its URL."""
    with aws.running_moto() as url:
        yield url


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Placeholder AWS credentials (the local S3 accepts any), no shared config files."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)

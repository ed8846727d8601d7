"""Fixtures of the render tests: settings without a database, and the sample issues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from newsletter import compose
from newsletter.digest import load_digests
from newsletter.models import Issue, IssueStatus
from newsletter.settings import Settings
from tests.support.identity import TEST_POSTAL_ADDRESS

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SAMPLE_2025 = SAMPLES / "ai-daily-2025-08-14.md"
SAMPLE_2026 = SAMPLES / "ai-daily-2026-01-20.md"
#: Screenshots and other files for people to look at (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def issue_from_digest(path: Path) -> Issue:
    """An in-memory issue built from a sample digest the way `issue compose` builds it."""
    (digest,) = load_digests(path)
    return compose.issue_from_digest(digest)


@pytest.fixture
def render_settings() -> Settings:
    """Settings enough to render (no database is touched)."""
    return Settings(
        base_url="https://news.example.com",
        sender="AI 日报 <news@example.com>",
        postal_address=TEST_POSTAL_ADDRESS,
    )


@pytest.fixture
def sample_issue() -> Issue:
    """The issue of the real sample digest (2025-08-14)."""
    return issue_from_digest(SAMPLE_2025)


@pytest.fixture
def sample_issue_2026() -> Issue:
    """The issue of the 2026-layout sample digest."""
    return issue_from_digest(SAMPLE_2026)


@pytest.fixture
def make_issue() -> Callable[..., Issue]:
    """A factory of one-item issues; keyword arguments override the item's fields."""

    def make(*, subject: str = "Test issue", summary: str = "One line.", **item: Any) -> Issue:
        fields: dict[str, Any] = {
            "title": "An item",
            "body": "Some **bold** text.",
            "links": [],
            "images": [],
            "source": "",
        }
        fields.update(item)
        return Issue(
            date=dt.date(2025, 8, 14),
            subject=subject,
            summary=summary,
            preheader=summary,
            sections=[{"name": "Section", "items": [fields]}],
            status=IssueStatus.DRAFT,
        )

    return make

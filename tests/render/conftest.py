"""Fixtures of the render tests: settings without a database, and the sample issues."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from newsletter.models import Issue, IssueStatus
from newsletter.settings import Settings
from tests.support import factories
from tests.support.factories import issue_from_digest
from tests.support.paths import SAMPLE, SAMPLE_2026


@pytest.fixture
def render_settings() -> Settings:
    """Settings enough to render (no database is touched)."""
    return factories.render_settings()


@pytest.fixture
def sample_issue() -> Issue:
    """The issue of the real sample digest (2025-08-14)."""
    return issue_from_digest(SAMPLE)


@pytest.fixture
def sample_issue_2026() -> Issue:
    """The issue of the 2026-layout sample digest."""
    return issue_from_digest(SAMPLE_2026)


@pytest.fixture
def make_issue() -> Callable[..., Issue]:
    """A factory of one-item issues; keyword arguments override the item's fields."""

    def make(*, subject: str = "Test issue", summary: str = "One line.", **item: Any) -> Issue:
        fields: dict[str, Any] = {
            "kind": "item",
            "number": 1,
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
            sections=[{"heading": "Section", "depth": 0, "url": None, "blocks": [fields]}],
            status=IssueStatus.DRAFT,
        )

    return make

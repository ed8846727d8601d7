"""Fixtures of the editorial tests: the sample day, a copy of it with a typo fixed, readers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsletter.audience import add_subscriber
from newsletter.db import transaction
from tests.support.paths import SAMPLE

DAY = dt.date(2025, 8, 14)
#: A title of the sample as it was published, and as the editor fixed it.
TYPO = "上海交通大学"
FIXED = "上海交通大学（已更正）"
READERS = ["reader1@example.com", "reader2@example.org"]


@pytest.fixture
def day_files(tmp_path: Path) -> tuple[Path, Path]:
    """The sample day as published, and the same day with one title fixed."""
    original = tmp_path / "ai-daily-2025-08-14.md"
    text = SAMPLE.read_text(encoding="utf-8")
    assert TYPO in text
    original.write_text(text, encoding="utf-8")
    fixed = tmp_path / "fixed" / "ai-daily-2025-08-14.md"
    fixed.parent.mkdir()
    fixed.write_text(text.replace(TYPO, FIXED, 1), encoding="utf-8")
    return original, fixed


@pytest.fixture
def readers(engine: Engine) -> list[str]:
    """Two confirmed readers of the default list."""
    with transaction(engine) as session:
        for email in READERS:
            add_subscriber(session, email=email, list_name="daily", confirmed=True)
    return READERS

"""Fixtures of the edition tests: the generator's real Chinese and English days, readers of each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine

from newsletter.audience import add_subscriber
from newsletter.db import transaction
from tests.support.paths import SAMPLES

EDITIONS = SAMPLES / "real" / "editions"
DAY = dt.date(2025, 7, 1)
CN_READERS = ["cn1@example.com", "cn2@example.org"]
EN_READERS = ["en1@example.com", "en2@example.org", "en3@example.net"]
CJK = r"[\u4e00-\u9fff\u3002\u3010\u3011\uff0c]"  # Han, 。【】，


@dataclass(frozen=True)
class Pair:
    """The two editions of one day, as the generator publishes them."""

    day: dt.date
    cn: Path
    en: Path


@pytest.fixture(params=["2025-07-01", "2025-10-15"])
def pair(request: pytest.FixtureRequest) -> Pair:
    """Each real pair of days in tests/samples/editions/."""
    day = str(request.param)
    return Pair(dt.date.fromisoformat(day), EDITIONS / f"cn-{day}.md", EDITIONS / f"en-{day}.md")


@pytest.fixture
def readers(engine: Engine) -> None:
    """Confirmed readers of the Chinese list (cn-daily) and of the English one (en-daily)."""
    with transaction(engine) as session:
        for email in CN_READERS:
            add_subscriber(session, email=email, list_name="cn-daily", confirmed=True)
        for email in EN_READERS:
            add_subscriber(session, email=email, list_name="en-daily", confirmed=True)


CN_ADD = ["editions", "add", "cn", "--name", "AI洞察日报", "--language", "zh-CN"]
EN_ADD = [
    "editions",
    "add",
    "en",
    "--name",
    "AI Insights Daily",
    "--language",
    "en",
    "--list",
    "en-daily",
    "--sender",
    "AI Insights Daily <en@example.com>",
    "--brand-color",
    "#0b6e4f",
]

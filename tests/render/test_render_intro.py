"""The words fit the day: the intro of a prose day, a one-item day and a normal day, and
the summary's title, in each language, in the email's HTML and text parts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from newsletter.models import Issue, IssueStatus
from newsletter.render.issue import render_issue
from newsletter.render.reader import reader_copy
from newsletter.render.strings import EN, ZH
from newsletter.settings import Settings
from tests.support.factories import issue_from_digest
from tests.support.paths import SAMPLES

DAY = dt.date(2025, 12, 23)

INTROS = {
    ("zh", 0): "以下是12月23日的AI 日报。",
    ("zh", 1): "以下是12月23日的AI 日报，共 1 条资讯。",
    ("zh", 3): "以下是12月23日的AI 日报，共 3 条资讯。",
    ("en", 0): "Here is AI 日报 for 23 December.",
    ("en", 1): "Here is AI 日报 for 23 December: 1 story.",
    ("en", 3): "Here is AI 日报 for 23 December: 3 stories.",
}
SUMMARY_TITLES = {
    "zh": ("今日摘要", "【今日摘要】"),
    "en": ("Today in brief", "== Today in brief =="),
}


def _item(n: int) -> dict[str, Any]:
    return {"kind": "item", "number": n, "title": f"Item {n}", "body": f"Body {n}.", "links": []}


def _issue(items: int, *, summary: str) -> Issue:
    blocks: list[dict[str, Any]] = [{"kind": "text", "markdown": "Some prose of the day."}]
    blocks += [_item(n) for n in range(1, items + 1)]
    return Issue(
        date=DAY,
        subject="AI 日报 2025/12/23",
        summary=summary,
        preheader=summary or "prose",
        sections=[{"heading": "Today", "depth": 0, "url": None, "blocks": blocks}],
        status=IssueStatus.DRAFT,
    )


@pytest.mark.parametrize(("language", "count"), sorted(INTROS))
def test_intro_fits_the_number_of_items(
    render_settings: Settings, language: str, count: int
) -> None:
    rendered = render_issue(_issue(count, summary="One line of summary."), render_settings)
    copy = reader_copy(rendered, render_settings, language=language)
    intro = INTROS[language, count]
    assert intro in copy.text.splitlines()
    assert intro in copy.html
    assert "0 条" not in copy.text
    assert "0 stories" not in copy.text
    assert "1 stories" not in copy.text
    html_title, text_title = SUMMARY_TITLES[language]
    assert f"<strong>{html_title}</strong>" in copy.html
    assert text_title in copy.text.splitlines()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_prose_day_without_summary_has_no_summary_box(
    render_settings: Settings, language: str
) -> None:
    copy = reader_copy(
        render_issue(_issue(0, summary=""), render_settings), render_settings, language=language
    )
    assert INTROS[language, 0] in copy.text.splitlines()
    for title in SUMMARY_TITLES[language]:
        assert title not in copy.html + copy.text


@pytest.mark.parametrize(
    ("sample", "language", "intro"),
    [
        ("layouts/blog-front-matter.md", "zh", "以下是11月2日的AI 日报。"),
        ("layouts/blog-front-matter.md", "en", "Here is AI 日报 for 2 November."),
        ("layouts/prose-sections.md", "zh", "以下是12月25日的AI 日报，共 1 条资讯。"),
        ("layouts/prose-sections.md", "en", "Here is AI 日报 for 25 December: 1 story."),
        ("real/ai-daily-2025-12-23.md", "zh", "以下是12月23日的AI 日报，共 10 条资讯。"),
        ("real/ai-daily-2025-12-23.md", "en", "Here is AI 日报 for 23 December: 10 stories."),
    ],
)
def test_sample_days_read_naturally(
    render_settings: Settings, sample: str, language: str, intro: str
) -> None:
    rendered = render_issue(issue_from_digest(SAMPLES / sample), render_settings)
    copy = reader_copy(rendered, render_settings, language=language)
    assert intro in copy.text.splitlines()
    assert intro in copy.html


def test_intro_for_each_table() -> None:
    assert ZH.intro_for(day=DAY, newsletter="N", count=0) == "以下是12月23日的N。"
    assert EN.intro_for(day=DAY, newsletter="N", count=1) == "Here is N for 23 December: 1 story."
    assert EN.intro_for(day=DAY, newsletter="N", count=2) == "Here is N for 23 December: 2 stories."

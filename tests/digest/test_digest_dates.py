"""The day of a digest wherever the source puts it: --date, front matter, title, the first
headings, the file name and its folders (or a URL's path); and pages that are no digest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from newsletter.digest import Digest, parse_source, read_digests
from newsletter.digest.dates import find_date, find_month_day, path_date
from newsletter.digest.errors import NotADigestError
from newsletter.errors import InputError
from tests.support.paths import SAMPLES

REAL = SAMPLES / "real"
PAGES = SAMPLES / "pages"
DAY = dt.date(2025, 10, 15)
BODY = "\n### 产品与功能更新\n\n1. **Item one** text.\n2. **Item two** text.\n"


def _parse(
    text: str, *, source: str = "digest.md", date: dt.date | None = None
) -> tuple[Digest, list[str]]:
    result = parse_source(text.encode(), source=source, suffix=".md", date=date)
    return result.digests[0], result.warnings


@pytest.mark.parametrize(
    "heading",
    [
        "## AI News Daily 2025-10-15",
        "## AI News Daily 2025/10/15",
        "## AI News Daily 2025.10.15",
        "## AI资讯日报 2025年10月15日",
        "## AI Daily Insights: October 15, 2025",
        "## AI Daily Insights: Oct. 15th, 2025",
        "## AI Daily Insights, 15 October 2025",
        "## 15th of October, 2025: AI Daily",
    ],
)
def test_the_day_from_a_heading_in_any_common_form(heading: str) -> None:
    # The generator's Hugo front matter: a title with no year, no date field.
    text = f"---\ntitle: 10-15-Daily AI News Daily\nweight: 17\n---\n{heading}\n{BODY}"
    digest, warnings = _parse(text)
    assert digest.date == DAY
    assert warnings == []


@pytest.mark.parametrize(
    ("source", "text"),
    [
        # A month-day title and a Chinese month-day heading: the year is in the folder.
        ("content/cn/2025-10/10-15.md", f"---\ntitle: 10-15-日报-AI资讯日报\n---\n{BODY}"),
        ("content/cn/2025-10/日报.md", f"# AI资讯日报 10月15日\n{BODY}"),
        ("site/2025/10/15.md", f"# AI资讯日报\n{BODY}"),
        ("content/en/2025-10/2025-10-15.md", f"---\ntitle: 10-15-Daily\n---\n{BODY}"),
        ("daily/2025-10-15.md", f"# AI资讯日报\n{BODY}"),
        ("daily/20251015.md", f"# AI资讯日报\n{BODY}"),
        ("posts/2025-10-15/index.md", f"# AI资讯日报\n{BODY}"),
        ("https://example.org/2025-10/2025-10-15/index.md", f"# AI资讯日报\n{BODY}"),
        (r"C:\site\content\cn\2025-10\2025-10-15.md", f"# AI资讯日报\n{BODY}"),
    ],
)
def test_the_day_from_the_path_or_a_month_day_with_the_year_in_the_folder(
    source: str, text: str
) -> None:
    digest, warnings = _parse(text, source=source)
    assert digest.date == DAY
    assert warnings == []


def test_a_day_in_the_file_name_only_the_sample_with_no_title_line(tmp_path: Path) -> None:
    daily = tmp_path / "daily"
    daily.mkdir()
    path = daily / "2026-01-05.md"
    path.write_bytes((REAL / "2026-01-05.md").read_bytes())
    result = read_digests(path)
    digest = result.digests[0]
    assert digest.date == dt.date(2026, 1, 5)
    assert digest.title == "2026-01-05"
    assert digest.summary.splitlines()[0].startswith("Gemini 悄悄上线 Agent 功能")
    assert result.warnings == [f"{path}:1: no title line: the title is the day, 2026-01-05"]
    # The same day under another name: the year only in the folder.
    other = tmp_path / "2026-01" / "01-05.md"
    other.parent.mkdir()
    other.write_bytes(path.read_bytes())
    assert read_digests(other).digests[0].date == dt.date(2026, 1, 5)


def test_the_english_edition_whose_title_has_no_year() -> None:
    result = read_digests(REAL / "en-2025-06-14.md")
    assert result.digests[0].date == dt.date(2025, 6, 14)
    assert result.warnings == []
    # In the site's own path, the front matter's 06-14 and the path agree too.
    data = (REAL / "en-2025-06-14.md").read_bytes()
    parsed = parse_source(data, source="content/en/2025-06/2025-06-14.md", suffix=".md")
    assert parsed.digests[0].date == dt.date(2025, 6, 14)
    assert parsed.warnings == []


def test_the_order_date_option_front_matter_title_heading_path() -> None:
    text = f"---\ndate: 2025-10-15\n---\n# AI资讯日报 2025-10-15\n{BODY}"
    assert _parse(text, source="2025-10-15.md", date=dt.date(2025, 1, 2))[0].date == dt.date(
        2025, 1, 2
    )
    assert _parse(text, source="2025-10-15.md")[0].date == DAY


def test_two_places_that_disagree_give_one_warning_and_the_more_specific_day() -> None:
    # Both full dates: the earlier place in the order (the front matter) wins.
    text = f"---\ndate: 2025-10-15\n---\n# AI资讯日报 2025-10-16\n{BODY}"
    digest, warnings = _parse(text, source="digest.md")
    assert digest.date == DAY
    assert warnings == [
        "digest.md:1: the day is not the same everywhere (2025-10-15 in the front matter; "
        "2025-10-16 in the title): 2025-10-15 used"
    ]
    # A month-day title (its year borrowed) is less specific than the file's full date.
    text = f"---\ntitle: 10-16-日报\n---\n{BODY}"
    digest, warnings = _parse(text, source="content/cn/2025-10/2025-10-15.md")
    assert digest.date == DAY
    assert len(warnings) == 1
    assert "2025-10-15 in the file name; 2025-10-16 in the title" in warnings[0]
    assert "\n" not in warnings[0]


def test_a_date_in_a_news_item_heading_is_not_the_days() -> None:
    text = (
        "# AI资讯日报\n\n### 1. [OpenAI 2025-06-01 发布会回顾](https://example.org/a)\n\n正文。\n"
    )
    digest, warnings = _parse(text, source="content/cn/2025-10/2025-10-15.md")
    assert digest.date == DAY
    assert warnings == []


def test_no_day_anywhere_stays_one_line_error() -> None:
    with pytest.raises(InputError) as err:
        _parse(f"# AI资讯日报\n{BODY}", source="content/cn/digest.md")
    message = str(err.value)
    assert message.startswith("content/cn/digest.md:1: no date in the title")
    assert "--date YYYY-MM-DD" in message
    assert "\n" not in message
    assert not isinstance(err.value, NotADigestError)


@pytest.mark.parametrize("name", ["about.md", "contact.md", "privacy.md", "terms.md", "README.md"])
def test_pages_that_are_not_digests_are_refused_as_such(name: str) -> None:
    with pytest.raises(NotADigestError, match="not a digest"):
        read_digests(PAGES / name)
    # Wherever they are, even in a dated folder of the site.
    data = (PAGES / name).read_bytes()
    with pytest.raises(NotADigestError, match="not a digest"):
        parse_source(data, source=f"content/cn/2025-10/{name}", suffix=".md")


def test_a_digest_whose_title_starts_like_a_page_is_still_a_digest() -> None:
    digest, _ = _parse(f"# 关于 GPT-5 的十件事 2025-10-15\n{BODY}", source="about-gpt.md")
    assert digest.date == DAY


def test_the_finders() -> None:
    assert find_date("AI Daily Insights: June 14, 2025") == dt.date(2025, 6, 14)
    assert find_date("2025-02-30 then 2025-03-01") == dt.date(2025, 3, 1)  # valid dates only
    assert find_date("GPT-5 launch") is None
    assert find_month_day("12-30-日报", lead=True) == (12, 30)
    assert find_month_day("12-30-日报") is None  # a leading MM-DD counts in titles only
    assert find_month_day("爱窝啦 AI 日报 12月23日") == (12, 23)
    assert find_month_day("GPT-4 and 3-5 agents", lead=True) is None
    assert path_date("content/cn/2025-06/_index.md").date is None  # a month's listing page
    assert path_date("content/cn/2025-12/12-30.md").date == dt.date(2025, 12, 30)

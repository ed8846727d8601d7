"""Markdown that would swallow the rest of the file is repaired: a stray or unclosed code
fence, an unclosed HTML comment, <script> or <details>; one warning each, no day lost."""

from __future__ import annotations

import pytest

from newsletter.digest import Digest, parse_source, read_digests
from newsletter.digest.repair import repair_markdown
from tests.support.paths import SAMPLES

REAL = SAMPLES / "real"
TITLE = "## 爱窝啦 AI 日报 2025/12/23\n\n"
SUMMARY_LINES = "旧金山停电 Waymo 瘫痪。\nFlask 作者提出 Vibe Coding。\n"
NEWS = (
    "## 今日AI资讯\n\n"
    "1. **Waymo 瘫痪** 停电后路口堵死。[原文](https://example.org/waymo)\n"
    "2. **Vibe Coding** 写代码凭感觉。[原文](https://example.org/vibe)\n\n"
    "## 开源项目\n\n"
    "1. **skills** Anthropic 开源了 Agents 的库。[GitHub](https://example.org/skills)\n"
)


def _parse(text: str) -> tuple[Digest, list[str]]:
    result = parse_source(text.encode(), source="d.md", suffix=".md")
    return result.digests[0], result.warnings


def _whole(digest: Digest) -> None:
    """Every section and item of NEWS is there."""
    assert [s.heading for s in digest.sections] == ["今日AI资讯", "开源项目"]
    assert digest.item_count == 3
    links = [link.url for s in digest.sections for i in s.items for link in i.links]
    bodies = "\n".join(i.body for s in digest.sections for i in s.items)
    assert links == []
    assert "https://example.org/skills" in bodies


def test_the_sample_with_a_stray_closing_fence_imports_whole() -> None:
    broken = read_digests(REAL / "ai-daily-2025-12-23-unclosed-fence.md")
    assert broken.warnings == [f"{REAL / 'ai-daily-2025-12-23-unclosed-fence.md'}:12: "
                               "unclosed code fence closed"]  # fmt: skip
    digest = broken.digests[0]
    assert len(digest.summary.splitlines()) == 3
    assert digest.item_count == 10
    headings = [s.heading for s in digest.sections]
    assert "🔥 必看 TOP 10 (图文深度)" in headings
    assert headings[-1] == "AI 账号极速发货: 爱窝啦 Aivora ⬆️"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # The generator's bug: the summary's closing fence with no opening one.
        (f"{TITLE}### **今日摘要**\n\n{SUMMARY_LINES}```\n\n\n{NEWS}", 7),
        # ... directly followed by a heading.
        (f"{TITLE}### **今日摘要**\n\n{SUMMARY_LINES}```\n{NEWS}", 7),
        # ... with tildes, after a summary list.
        (f"{TITLE}### 今日摘要\n\n- 旧金山停电 Waymo 瘫痪。\n- Flask 作者。\n~~~\n\n{NEWS}", 7),
        # A summary whose closing fence is missing: it closes at the paragraph break.
        (f"{TITLE}### 今日摘要\n\n```\n{SUMMARY_LINES}\n{NEWS}", 5),
        # A stray fence, then a well-formed code block later: the pairs stay right.
        (
            f"{TITLE}### 今日摘要\n\n{SUMMARY_LINES}```\n\n{NEWS}\n"
            "## 代码\n\n```python\nprint('hi')\n```\n",
            7,
        ),
    ],
    ids=["after-summary", "before-heading", "tilde-after-list", "unclosed-summary", "later-pair"],
)
def test_a_stray_or_unclosed_fence_loses_no_day(text: str, line: int) -> None:
    digest, warnings = _parse(text)
    assert warnings == [f"d.md:{line}: unclosed code fence closed"]
    assert digest.summary.startswith("旧金山停电")
    assert [s.heading for s in digest.sections][:2] == ["今日AI资讯", "开源项目"]
    assert digest.item_count == 3


@pytest.mark.parametrize(
    ("fence", "line"), [("\n```\n\n", 7), ("\n\n```\n\n", 8)], ids=["glued", "after-blank"]
)
def test_a_stray_fence_at_the_end_of_a_section(fence: str, line: int) -> None:
    text = TITLE + NEWS.replace("\n\n## 开源项目", f"{fence}## 开源项目")
    digest, warnings = _parse(text)
    assert warnings == [f"d.md:{line}: unclosed code fence closed"]
    _whole(digest)


def test_an_unclosed_code_block_with_blank_lines_closes_at_the_next_heading() -> None:
    # The file's closed code blocks hold blank lines: so does the unclosed one.
    code = "```python\nimport os\n\nprint(os.name)\n```\n\n"
    text = f"{TITLE}## 代码\n\n{code}```bash\necho 1\n\necho 2\n{NEWS}"
    digest, warnings = _parse(text)
    assert warnings == ["d.md:11: unclosed code fence closed"]
    code_texts = [b.markdown for b in digest.sections[0].blocks if hasattr(b, "markdown")]
    assert "echo 1\n\necho 2" in code_texts[-1]
    assert [s.heading for s in digest.sections] == ["代码", "今日AI资讯", "开源项目"]


@pytest.mark.parametrize(
    ("opening", "message"),
    [
        ("<!-- 广告位", "unclosed HTML comment closed"),
        ("<script>track()", "unclosed <script> closed"),
        ("<details>\n<summary>更多</summary>", "unclosed <details> closed"),
    ],
)
def test_unclosed_raw_html_that_would_swallow_the_rest(opening: str, message: str) -> None:
    text = f"{TITLE}{opening}\n\n{NEWS}"
    digest, warnings = _parse(text)
    assert warnings[0] == f"d.md:3: {message}"
    assert len([w for w in warnings if "unclosed" in w]) == 1
    assert digest.item_count == 3
    assert "track" not in digest.model_dump_json()


def test_later_warnings_name_the_source_lines_after_a_repair() -> None:
    # The repair adds a closing fence line; a warning after it still names line 11.
    text = (
        f"{TITLE}### 今日摘要\n\n```\n{SUMMARY_LINES}\n## 新闻\n\n1. [坏链接](javascript:x) 文字\n"
    )
    _, warnings = _parse(text)
    assert warnings == [
        "d.md:5: unclosed code fence closed",
        "d.md:11: link 'javascript:x' dropped: not an absolute http(s) URL; its text kept",
    ]


def test_a_well_formed_file_is_not_touched() -> None:
    text = (REAL / "ai-daily-2025-12-23.md").read_text(encoding="utf-8")
    repaired = repair_markdown(text)
    assert repaired.text is text
    assert repaired.origin is None
    assert repaired.notes == []

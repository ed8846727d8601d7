"""Every digest in tests/samples imports whole: text, links, numbered entries, order.

The samples are the generator's real days (samples/real/), the earlier samples, the feeds and
one synthetic file per layout the generator has used (samples/layouts/). For each: the import
succeeds with exactly the expected warnings, at least 95% of the source's visible letters
and digits appear in order in the rendered plain-text part, every http(s) link of the
source is in the text part, every numbered entry is an item, and sections keep their order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from newsletter.compose import issue_from_digest
from newsletter.digest import read_digests
from newsletter.render import render_issue
from newsletter.settings import Settings
from tests.support.digest_text import coverage, numbered_entries, source_links, visible_text

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
#: Every digest of the samples (images/ holds the image tests' files and pages/ a site's
#: pages that are not digests).
DIGESTS = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.suffix in (".md", ".xml", ".json")
    and p.name != "README.md"
    and not {"images", "pages"} & set(p.relative_to(SAMPLES).parts)
)
BROKEN = "layouts/broken-parts.md"
EXPECTED_WARNINGS = {
    BROKEN: [
        "1: <script> element dropped with its content",
        "12: link 'javascript:alert(1)' dropped: not an absolute http(s) URL; its text kept",
        "12: link 'data:text/html;base64,PHNjcmlwdD4=' dropped: not an absolute http(s) URL; "
        "its text kept",
        "12: link '/relative/path' dropped: not an absolute http(s) URL; its text kept",
        "13: image 'https://' dropped: not an absolute http(s) URL",
        "13: image 'images/x.png' dropped: not an absolute http(s) URL",
        "14: onerror attribute dropped",
        "14: raw HTML tag <span> dropped, its text kept",
        "16: raw HTML kept as plain text",
        "18: empty section '空的一节' dropped",
    ],
    "real/2026-01-05.md": ["1: no title line: the title is the day, 2026-01-05"],
    "real/ai-daily-2025-12-23-unclosed-fence.md": ["12: unclosed code fence closed"],
    "real/editions/cn-2025-10-15.md": [
        f"{n}: raw HTML tag <video> dropped, its text kept" for n in (44, 86, 88)
    ],
    "real/editions/en-2025-10-15.md": [
        f"{n}: raw HTML tag <video> dropped, its text kept" for n in (40, 82, 84)
    ],
    "layouts/feed-summary-mode.rss.xml": [
        " entry 4 (2026-05-10日刊): duplicate of an earlier entry "
        "(guid 'https://example.org/2026-05/2026-05-10/') skipped"
    ],
}


def _name(path: Path) -> str:
    return str(path.relative_to(SAMPLES))


def test_the_samples_are_all_there() -> None:
    names = {_name(p) for p in DIGESTS}
    assert {
        "real/ai-daily-2025-07-14.md",
        "real/ai-daily-2025-12-09.md",
        "real/ai-daily-2025-12-23.md",
        "real/ai-daily-2025-12-23-unclosed-fence.md",
        "real/2026-01-05.md",
        "real/en-2025-06-14.md",
        "real/editions/cn-2025-07-01.md",
        "real/editions/en-2025-07-01.md",
        "real/editions/cn-2025-10-15.md",
        "real/editions/en-2025-10-15.md",
        "ai-daily-2025-08-14.md",
        "ai-daily-2026-01-20.md",
        "ai-daily-feed.rss.xml",
        "ai-daily-feed.atom.xml",
    } <= names
    assert len([n for n in names if n.startswith("layouts/")]) >= 12


@pytest.fixture(scope="module")
def text_settings() -> Settings:
    return Settings(base_url="https://news.example.com", sender="AI 日报 <news@example.com>")


@pytest.mark.parametrize("path", DIGESTS, ids=_name)
def test_sample_imports_whole(path: Path, text_settings: Settings) -> None:
    result = read_digests(path)
    expected = [f"{path}:{w}" for w in EXPECTED_WARNINGS.get(_name(path), [])]
    assert result.warnings == expected
    assert all("\n" not in w for w in result.warnings)
    texts = []
    for digest in result.digests:
        rendered = render_issue(issue_from_digest(digest), text_settings)
        texts.append(rendered.text)
        # Sections come in the source's order.
        at = rendered.text.find("== ")
        for section in digest.sections:
            if section.heading:
                at = rendered.text.find(section.heading, at)
                assert at != -1, section.heading
        # The subject is the title, with no markup residue.
        assert "<" not in rendered.subject
        assert "alert" not in rendered.subject
    text = "\n".join(texts)
    share = coverage(visible_text(path), text)
    assert share >= 0.95, f"{share:.1%} of the visible text"
    for url in source_links(path):
        assert url in text, url
    assert sum(d.item_count for d in result.digests) == numbered_entries(path)

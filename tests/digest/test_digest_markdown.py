"""The Markdown digest formats (2025 and 2026 layouts), parsed without a database."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from newsletter.digest import load_digests

URL = re.compile(r"\]\((https?://[^)\s]+)\)")


def test_2025_sample_has_every_section_item_link_and_image(samples: Path) -> None:
    path = samples / "ai-daily-2025-08-14.md"
    [digest] = load_digests(path)
    assert digest.date == dt.date(2025, 8, 14)
    assert digest.title == "AI科技日报-2025-08-14 AI模型大逆转！"
    assert [(s.name, len(s.items)) for s in digest.sections] == [
        ("AI前沿研究", 3),
        ("开源TOP项目", 1),
        ("社媒分享", 2),
        ("其他", 7),
    ]
    assert digest.item_count == 13
    assert digest.summary.splitlines() == [
        "上海交大发布类人脑大模型，Meta多模态模型竞赛夺冠。",
        "研究者成功逆转AI推理模型，引发安全担忧。",
        "OpenAI模型调整引争议，用户怀念旧版本。",
    ]
    # Every URL of the file (bullet links, inline links, images) is kept.
    text = path.read_text(encoding="utf-8")
    file_urls = URL.findall(text)
    kept: list[str] = []
    for section in digest.sections:
        for item in section.items:
            kept += URL.findall(item.body)
            kept += [link.url for link in item.links]
            kept += [image.url for image in item.images]
    assert sorted(kept) == sorted(file_urls)
    assert len(file_urls) == 26  # 16 bullet links, 1 inline link, 9 images


def test_2025_items_keep_bold_inline_links_and_order(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2025-08-14.md")
    first, _, third = digest.sections[0].items
    assert first.body.startswith("**上海交通大学**发布类人脑大模型")
    assert (
        first.title
        == "上海交通大学发布类人脑大模型，告别Transformer架构，多模态大脑建模技术迈入新纪元。"
    )
    assert [link.text for link in first.links] == [
        "告别Transformer，重...",
        "多模态大脑建模技术迈入新纪元：...",
    ]
    assert first.source == "www.jiqizhixin.com"
    assert "[野性模型（AI资讯）](https://huggingface.co/jxm/gpt-oss-20b-base)" in third.body
    assert [image.alt for image in third.images] == [
        "AI资讯：模型逆转对比",
        "AI资讯：模型记忆力测试",
    ]
    assert "<br/>" not in third.body
    other = digest.sections[3].items
    assert [len(i.links) for i in other] == [2, 1, 1, 1, 1, 2, 1]
    assert other[6].title.startswith("痛心！凉山")


def test_2026_sample_bold_lead_inline_links_and_br_images(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2026-01-20.md")
    assert digest.date == dt.date(2026, 1, 20)
    assert [s.name for s in digest.sections] == [
        "产品与功能更新",
        "前沿研究",
        "开源TOP项目",
        "社媒分享",
    ]
    assert digest.item_count == 5
    assert len(digest.summary.splitlines()) == 3
    item = digest.sections[0].items[0]
    assert item.title == "某开源社区发布新一代多模态模型。"
    assert "[技术报告(AI资讯)](https://example.org/papers/omni-2.pdf)" in item.body
    assert [(i.url, i.alt) for i in item.images] == [
        ("https://example.org/images/omni-2-arch.png", "多模态模型架构示意")
    ]
    assert (
        digest.sections[0]
        .items[1]
        .body.endswith("[定价说明(AI资讯)](https://example.org/pricing?plan=pro&region=cn)")
    )


def test_date_option_overrides_title_date(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2026-01-20.md", date=dt.date(2026, 1, 21))
    assert digest.date == dt.date(2026, 1, 21)


def test_html_in_item_text_is_kept_as_text(tmp_path: Path) -> None:
    path = tmp_path / "d.md"
    path.write_text(
        "# Daily 2025-01-02\n### News\n1. **Bold** <script>alert(1)</script> text\n",
        encoding="utf-8",
    )
    [digest] = load_digests(path)
    # Stored verbatim as text; rendering escapes or sanitizes it.
    assert digest.sections[0].items[0].body == "**Bold** <script>alert(1)</script> text"

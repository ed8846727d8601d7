"""The Markdown digests of the samples, parsed without a database."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from newsletter.digest import TextBlock, load_digests, read_digests

URL = re.compile(r"\]\((https?://[^)\s]+)\)")


def test_2025_sample_has_every_section_item_link_and_image(samples: Path) -> None:
    path = samples / "ai-daily-2025-08-14.md"
    result = read_digests(path)
    assert result.warnings == []
    [digest] = result.digests
    assert digest.date == dt.date(2025, 8, 14)
    assert digest.title == "AI科技日报-2025-08-14 AI模型大逆转！"
    assert digest.headline == "AI模型大逆转！"
    assert digest.tagline.startswith("🤖 AI科技日报 | ⏰ 每日精选")
    assert [(s.heading, len(s.items)) for s in digest.sections] == [
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
    file_urls = URL.findall(path.read_text(encoding="utf-8"))
    kept: list[str] = []
    for section in digest.sections:
        for item in section.items:
            kept += URL.findall(item.body)
            kept += [link.url for link in item.links]
            kept += [image.url for image in item.images]
    assert sorted(kept) == sorted(file_urls)
    assert len(file_urls) == 26  # 16 bullet links, 1 inline link, 9 images


def test_2025_items_keep_bold_inline_links_numbers_and_order(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2025-08-14.md")
    first, _, third = digest.sections[0].items
    assert first.number == 1
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
    assert [i.number for i in other] == [1, 2, 3, 4, 5, 6, 7]
    assert other[6].title.startswith("痛心！凉山")


def test_2026_sample_bold_lead_inline_links_and_br_images(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2026-01-20.md")
    assert digest.date == dt.date(2026, 1, 20)
    assert digest.tagline == "AI 日报 | 每日精选 AI 行业动态"
    assert [s.heading for s in digest.sections] == [
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


def test_real_2025_07_hash_sections_and_items_without_links(samples: Path) -> None:
    result = read_digests(samples / "real" / "ai-daily-2025-07-14.md")
    assert result.warnings == []
    [digest] = result.digests
    assert digest.date == dt.date(2025, 7, 14)
    assert digest.tagline == "猿思 日报"
    assert [(s.heading, len(s.items)) for s in digest.sections] == [
        ("AI产品与功能更新", 6),
        ("AI前沿研究", 2),
        ("AI行业展望与社会影响", 2),
        ("科技博主观点", 1),
        ("开源TOP项目", 13),
        ("社媒分享", 4),
    ]
    assert len(digest.summary.splitlines()) == 3
    top = digest.sections[4].items
    assert [i.number for i in top] == list(range(1, 14))
    assert top[0].body == "**`claude-code`**: 20847颗星"
    assert all(not i.links for s in digest.sections for i in s.items)


def test_real_2025_12_09_one_section_of_bold_titled_items(samples: Path) -> None:
    [digest] = load_digests(samples / "real" / "ai-daily-2025-12-09.md")
    [section] = digest.sections
    assert section.heading == "今日 AI 资讯"
    assert [i.number for i in section.items] == list(range(1, 12))
    assert section.items[0].title == "快手可灵主体库：一张图解锁多角度角色🔥"
    assert "**96%**" in section.items[0].body


def test_real_2025_12_23_nested_prose_numbered_headings_tables(samples: Path) -> None:
    result = read_digests(samples / "real" / "ai-daily-2025-12-23.md")
    assert result.warnings == []
    [digest] = result.digests
    headings = [(s.depth, s.heading) for s in digest.sections]
    assert headings == [
        (0, "⚡ 快速导航"),
        (0, "今日AI资讯"),
        (1, "👀 只有一句话"),
        (1, "🔑 3 个关键词"),
        (0, "🔥 必看 TOP 10 (图文深度)"),
        (0, "📂 分类速览"),
        (1, "[研究]"),
        (1, "[商业]"),
        (1, "[开源]"),
        (1, "[其他]"),
        (0, "🧾 全量索引"),
        (0, "AI 账号极速发货: 爱窝啦 Aivora ⬆️"),
    ]
    nav, _, one_line, *_ = digest.sections
    # The quick navigation keeps its text, not its in-page anchor.
    links, notice = nav.blocks
    assert isinstance(links, TextBlock)
    assert isinstance(notice, TextBlock)
    assert "今日 AI 资讯" in links.markdown
    assert "#今日" not in links.markdown
    assert "aivora.cn?utm_source" in notice.markdown
    assert not one_line.items
    assert one_line.blocks
    top = digest.sections[4]
    assert [i.number for i in top.items] == list(range(1, 11))
    first = top.items[0]
    assert first.title == "旧金山停电，Waymo无人车集体瘫痪"
    assert first.links[0].url == "https://ai.hubtoday.app//2025-12/2025-12-23/"
    assert first.body.startswith("**这画面太魔幻了**")
    assert top.items[1].images[0].url.endswith("news_01kd3ar1kyed6s0tcktyf28tyd.avif")
    table = digest.sections[10].blocks[0]
    assert isinstance(table, TextBlock)
    assert table.markdown.count("\n|") == 22
    ad = digest.sections[11]
    assert ad.url == "https://aivora.cn"


def test_date_option_overrides_title_date(samples: Path) -> None:
    [digest] = load_digests(samples / "ai-daily-2026-01-20.md", date=dt.date(2026, 1, 21))
    assert digest.date == dt.date(2026, 1, 21)

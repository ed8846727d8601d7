"""RSS 2.0, Atom and JSON digests."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from newsletter.digest import TextBlock, load_digests, read_digests
from newsletter.errors import InputError


def test_rss_each_entry_is_one_day(samples: Path) -> None:
    result = read_digests(samples / "ai-daily-feed.rss.xml")
    assert result.warnings == []
    digests = result.digests
    assert [d.date for d in digests] == [dt.date(2026, 1, 20), dt.date(2026, 1, 19)]
    day = digests[0]
    assert [(s.heading, len(s.items)) for s in day.sections] == [
        ("产品与功能更新", 2),
        ("前沿研究", 0),
    ]
    # A bullet list is not numbered: its entry stays a text block, whole.
    [bullets] = day.sections[1].blocks
    assert isinstance(bullets, TextBlock)
    assert "[论文](https://example.org/papers/long-ctx)" in bullets.markdown
    assert len(day.summary.splitlines()) == 3
    first, second = day.sections[0].items
    assert first.title == "某开源社区发布新一代多模态模型。"
    assert "[模型主页(AI资讯)](https://example.org/models/omni-2)" in first.body
    assert first.images[0].alt == "多模态模型架构示意"
    assert [(link.text, link.url) for link in second.links] == [
        ("定价说明", "https://example.org/pricing?plan=pro&region=cn")
    ]
    assert "**30%**" in second.body
    assert digests[1].summary == "一家实验室开放了新的评测集。"


def test_rss_date_option_selects_that_entry(samples: Path) -> None:
    [day] = load_digests(samples / "ai-daily-feed.rss.xml", date=dt.date(2026, 1, 19))
    assert day.sections[0].items[0].title.startswith("eval-kit")
    with pytest.raises(InputError, match="no entry for 2025-01-01"):
        load_digests(samples / "ai-daily-feed.rss.xml", date=dt.date(2025, 1, 1))


def test_atom_entry_date_from_published(samples: Path) -> None:
    [day] = load_digests(samples / "ai-daily-feed.atom.xml")
    assert day.date == dt.date(2026, 1, 21)
    assert day.summary == "Two labs released models."
    items = day.sections[0].items
    assert items[0].body.startswith("**Lab A released a model.**")
    assert items[1].images[0].url == "https://example.org/b.png"


def _doc() -> dict[str, object]:
    return {
        "date": "2025-08-14",
        "title": "Daily 2025-08-14 Big news",
        "headline": "Big news",
        "tagline": "every day",
        "summary": "One.\nTwo.",
        "sections": [
            {
                "heading": "S1",
                "blocks": [
                    {"kind": "text", "markdown": "An intro with a [link](https://example.org/i)."},
                    {
                        "kind": "item",
                        "number": 1,
                        "title": "T",
                        "body": "**B** [x](https://example.org/x)",
                        "links": [{"text": "l", "url": "https://example.org/l"}],
                        "images": [{"url": "https://example.org/i.png", "alt": "a"}],
                        "source": "example.org",
                    },
                ],
            },
            {"heading": "Sub", "depth": 1, "blocks": [{"title": "no kind, no body"}]},
        ],
    }


@pytest.mark.parametrize("wrap", ["object", "list", "digests"])
def test_json_forms(tmp_path: Path, wrap: str) -> None:
    doc = _doc()
    data: object = {"object": doc, "list": [doc], "digests": {"digests": [doc]}}[wrap]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = read_digests(path)
    assert result.warnings == []
    [digest] = result.digests
    assert digest.date == dt.date(2025, 8, 14)
    assert (digest.headline, digest.tagline) == ("Big news", "every day")
    intro, _item = digest.sections[0].blocks
    assert isinstance(intro, TextBlock)
    assert digest.sections[0].items[0].links[0].url == "https://example.org/l"
    assert digest.sections[1].items[0].title == "no kind, no body"
    assert digest.sections[1].depth == 1


def test_json_in_the_earlier_form_is_still_read(tmp_path: Path) -> None:
    old = {
        "date": "2025-08-14",
        "title": "T",
        "sections": [{"name": "S", "items": [{"title": "t", "body": "b"}]}],
    }
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    [digest] = load_digests(path)
    assert digest.sections[0].heading == "S"
    assert digest.sections[0].items[0].body == "b"


def test_json_body_holding_html_is_read_as_html(tmp_path: Path) -> None:
    doc = _doc()
    doc["sections"] = [
        {
            "heading": "S",
            "blocks": [
                {
                    "title": "t",
                    "body": '<p><b>Bold</b> and <a href="https://example.org/a">a link</a>'
                    '<img src="https://example.org/p.png" alt="pic"></p>',
                }
            ],
        }
    ]
    path = tmp_path / "html.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    [digest] = load_digests(path)
    [item] = digest.sections[0].items
    assert item.body == "**Bold** and [a link](https://example.org/a)"
    assert [i.url for i in item.images] == ["https://example.org/p.png"]


def test_json_round_trips_every_markdown_sample(samples: Path, tmp_path: Path) -> None:
    for source in [samples / "ai-daily-2025-08-14.md", *sorted((samples / "real").glob("*.md"))]:
        if source.name == "README.md":
            continue
        [digest] = load_digests(source)
        path = tmp_path / f"{source.stem}.json"
        path.write_text(digest.model_dump_json(), encoding="utf-8")
        result = read_digests(path)
        assert result.warnings == [], source
        assert result.digests == [digest], source


def test_live_feed_in_summary_mode(samples: Path) -> None:
    result = read_digests(samples / "layouts" / "feed-summary-mode.rss.xml")
    # Seven days, the repeated entry once; each day from its title, not from its pubDate
    # (Shanghai time labelled GMT: the next day).
    assert [d.date for d in result.digests] == [
        dt.date(2026, 5, 12) - dt.timedelta(days=n) for n in range(7)
    ]
    day = result.digests[0]
    assert day.title == "AI资讯日报 2026/5/12"
    assert [(s.heading, len(s.items)) for s in day.sections] == [
        ("产品与功能更新", 3),
        ("前沿研究", 1),
    ]
    one = day.sections[0].items[0]
    assert (one.title, one.links, one.source) == (
        "甲公司发布了第1个新功能，面向开发者开放。",
        [],
        "",
    )
    tail = [b for b in day.sections[1].blocks if isinstance(b, TextBlock)]
    # The heading that is only a link, the image with no size, the rule, the notice.
    assert tail[0].markdown == "[前往官网查看完整版](https://example.org/2026-05/2026-05-12/)"
    assert [i.url for i in tail[1].images] == ["https://example.org/images/2026-05-12.png"]
    assert [b.markdown for b in tail[2:]] == ["---", "本日报由 AI 自动生成，仅供参考。"]


def test_entry_date_from_the_link_when_the_title_has_none(tmp_path: Path) -> None:
    feed = tmp_path / "f.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
        "<title>日刊</title><link>https://example.org/2025-12/2025-12-23/</link>"
        "<pubDate>Wed, 24 Dec 2025 08:00:00 GMT</pubDate>"
        "<description><![CDATA[<h3>S</h3><ol><li>one</li></ol>]]></description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    [digest] = load_digests(feed)
    assert digest.date == dt.date(2025, 12, 23)

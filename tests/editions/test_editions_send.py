"""Two editions of the same day: the generator's Chinese and English days imported side by
side, each composed, rendered and sent to its own list, each in its own language."""

from __future__ import annotations

import datetime as dt
import json
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.editions.conftest import CJK, CN_ADD, CN_READERS, EDITIONS, EN_ADD, EN_READERS, Pair
from tests.support import aws
from tests.support.mail import parse, part_text, read_outbox, recipient
from tests.support.sending import Ses


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"{args}: {result.output}{result.stderr}"
    return result.stdout


def _both_imported_and_sent(runner: CliRunner, pair: Pair) -> None:
    day = pair.day.isoformat()
    _ok(runner, *CN_ADD, "--list", "cn-daily")
    _ok(runner, *EN_ADD)
    first = _ok(runner, "items", "import", str(pair.cn), "--edition", "cn", "--date", day)
    second = _ok(runner, "items", "import", str(pair.en), "--edition", "en", "--date", day)
    # Neither import replaced the other: each is a new day of its own edition.
    assert f"cn {day}: imported" in first
    assert "(new day)" in first
    assert f"en {day}: imported" in second
    assert "(new day)" in second
    cn_items = json.loads(_ok(runner, "items", "list", "--edition", "cn", "--json"))
    en_items = json.loads(_ok(runner, "items", "list", "--edition", "en", "--json"))
    assert cn_items
    assert en_items
    assert all(re.search(CJK, i["title"] + i["body"]) for i in cn_items[:3])
    english = [i for i in en_items if not re.search(CJK, i["title"] + i["body"])]
    assert len(english) >= len(en_items) - 1  # one item quotes a Chinese title
    for edition in ("cn", "en"):
        _ok(runner, "issue", "compose", "--date", day, "--edition", edition)
        _ok(runner, "send", "issue", "--date", day, "--edition", edition, "--json")
    issues = json.loads(_ok(runner, "issue", "list", "--json"))
    assert sorted((i["edition"], i["status"]) for i in issues) == [("cn", "sent"), ("en", "sent")]
    status = json.loads(_ok(runner, "send", "status", "--date", day, "--edition", "en", "--json"))
    assert status["edition"] == "en"
    assert status["counts"]["sent"] == len(EN_READERS)


#: The Chinese edition's own words; none may appear in an English reader's email.
ZH_WORDS = ["退订", "网页版", "往期回顾", "今日摘要", "您好", "资讯", "订阅"]


def _check_languages(messages: list[EmailMessage], *, english_source_is_pure: bool) -> None:
    by_reader = {recipient(m): m for m in messages}
    assert sorted(by_reader) == sorted(CN_READERS + EN_READERS)
    for address in EN_READERS:
        message = by_reader[address]
        html, text = part_text(message, "html"), part_text(message, "plain")
        assert message["From"] == "AI Insights Daily <en@example.com>"
        assert re.search(r'<html[^>]*\slang="en"', html)
        # English throughout: no Chinese boilerplate (and when the English day has no
        # Chinese at all, no Chinese character anywhere).
        for word in ZH_WORDS:
            assert word not in html, word
            assert word not in text, word
        if english_source_is_pure:
            assert not re.search(CJK, html), re.findall(f".{{20}}{CJK}+.{{20}}", html)[:3]
            assert not re.search(CJK, text)
            assert not re.search(CJK, str(message["Subject"]))
        assert "Unsubscribe" in text
        assert "#0b6e4f" in html  # the edition's brand colour
        assert message["List-Unsubscribe"]
        assert "en-daily" in str(message["List-Id"])
    for address in CN_READERS:
        message = by_reader[address]
        html, text = part_text(message, "html"), part_text(message, "plain")
        assert re.search(r'<html[^>]*\slang="zh-CN"', html)
        assert "退订" in text
        assert "AI洞察日报" in html


def test_two_editions_of_one_day_through_the_file_transport(
    runner: CliRunner, cli_env: Settings, readers: None, pair: Pair
) -> None:
    _both_imported_and_sent(runner, pair)
    pure = not re.search(CJK, pair.en.read_text(encoding="utf-8"))
    _check_languages(read_outbox(cli_env.file_outbox), english_source_is_pure=pure)


@pytest.fixture
def ses_env(
    cli_env: Settings, ses: Ses, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Settings:
    """The CLI's settings on moto's SES, with the English edition's sender verified too."""
    aws.verify_sender(ses.endpoint, "en@example.com")
    monkeypatch.setenv("NEWSLETTER_TRANSPORT", "ses")
    monkeypatch.setenv("NEWSLETTER_SES_ENDPOINT_URL", ses.endpoint)
    return cli_env.model_copy(update={"transport": "ses", "ses_endpoint_url": ses.endpoint})


def test_two_editions_of_one_day_through_ses(
    runner: CliRunner, ses_env: Settings, ses: Ses, readers: None, engine: Engine
) -> None:
    day = "2025-10-15"
    pair = Pair(dt.date.fromisoformat(day), EDITIONS / f"cn-{day}.md", EDITIONS / f"en-{day}.md")
    _both_imported_and_sent(runner, pair)
    accepted = ses.accepted()
    assert len(accepted) == len(CN_READERS + EN_READERS)
    messages = [parse(m["raw_data"].encode("utf-8")) for m in accepted]
    _check_languages(messages, english_source_is_pure=False)
    # SES saw each edition's own sender.
    sources = {m["source"] for m in accepted}
    assert sources == {"news@example.com", "en@example.com"}


def test_the_same_day_of_the_default_edition_is_kept(
    runner: CliRunner, cli_env: Settings, pair: Pair
) -> None:
    day = pair.day.isoformat()
    _ok(runner, *EN_ADD)
    _ok(runner, "items", "import", str(pair.cn), "--date", day)
    _ok(runner, "items", "import", str(pair.en), "--edition", "en", "--date", day)
    again = _ok(runner, "items", "import", str(pair.cn), "--date", day)
    assert f"default {day}: imported" in again
    assert "replaced" in again
    default = json.loads(_ok(runner, "items", "list", "--json"))
    english = json.loads(_ok(runner, "items", "list", "--edition", "en", "--json"))
    assert default
    assert english
    assert {i["title"] for i in default}.isdisjoint({i["title"] for i in english})

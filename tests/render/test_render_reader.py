"""`issue render` and `issue preview` give a reader's copy: the edition's language or another,
the generic reader or one subscriber (their greeting, their real unsubscribe link)."""

from __future__ import annotations

import re
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from newsletter import db
from newsletter.audience import find_subscriber
from newsletter.cli import app
from newsletter.compose import get_issue
from newsletter.render.reader import MARKER_PREFIX
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from tests.support.paths import SAMPLE, SAMPLE_DATE, SUBSCRIBERS_CSV
from tests.support.ports import free_port

DATE = SAMPLE_DATE.isoformat()


def _ok(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def _ready(runner: CliRunner) -> None:
    _ok(runner, "subscribers", "import", str(SUBSCRIBERS_CSV), "--confirmed")
    _ok(runner, "items", "import", str(SAMPLE))
    _ok(runner, "issue", "compose", "--date", DATE)


def _render(runner: CliRunner, tmp_path: Path, *extra: str) -> tuple[str, str]:
    html, text = tmp_path / "issue.html", tmp_path / "issue.txt"
    _ok(runner, "issue", "render", "--date", DATE, "--out", str(html), "--text", str(text), *extra)
    return html.read_text("utf-8"), text.read_text("utf-8")


def test_the_generic_reader_in_each_language(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    _ready(runner)
    html, text = _render(runner, tmp_path)
    assert "您好！" in text.splitlines()
    assert "以下是8月14日的AI 日报，共 13 条资讯。" in text
    assert "Hello," not in text
    assert "https://news.example.com/unsubscribe/test-send" in html
    html, text = _render(runner, tmp_path, "--language", "en")
    assert "Hello," in text.splitlines()
    assert "Here is AI 日报 for 14 August: 13 stories." in html
    assert "退订" not in html
    assert MARKER_PREFIX not in html + text


def test_one_subscribers_copy(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    _ready(runner)
    html, text = _render(runner, tmp_path, "--as", "READER1@example.com")
    assert "Reader One，您好！" in text.splitlines()
    found = re.search(r"退订: (\S+)", text)
    assert found is not None
    url = found[1]
    assert url.startswith("https://news.example.com/unsubscribe/")
    assert f'href="{url}"' in html
    data = read_token(cli_env, url.rsplit("/", 1)[1], purpose=TokenPurpose.UNSUBSCRIBE)
    with db.transaction(engine) as session:
        subscriber = find_subscriber(session, "reader1@example.com")
        assert subscriber is not None
        issue = get_issue(session, SAMPLE_DATE)
        assert (data.subscriber_id, data.issue_id) == (subscriber.id, issue.id)


def test_unknown_language_or_subscriber_is_one_line(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    _ready(runner)
    out = str(tmp_path / "x.html")
    for extra, message in (
        (["--language", "fr"], "error: no strings for language 'fr': use one of zh, en\n"),
        (["--as", "nobody@example.com"], "error: no subscriber no***@example.com\n"),
    ):
        result = runner.invoke(app, ["issue", "render", "--date", DATE, "--out", out, *extra])
        assert result.exit_code == 2
        assert result.stderr == message
    assert not Path(out).exists()


def _get(url: str) -> str:
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return str(response.read().decode("utf-8"))
        except urllib.error.HTTPError:
            raise
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_preview_offers_each_language_and_a_subscribers_copy(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    _ready(runner)
    port = free_port()
    args = ["issue", "preview", "--date", DATE, "--port", str(port), "--no-open", "--for", "5"]
    results: list[Result] = []
    thread = threading.Thread(target=lambda: results.append(runner.invoke(app, args)))
    thread.start()
    base = f"http://127.0.0.1:{port}/"
    try:
        assert "您好！" in _get(base + "text")
        assert "Hello," in _get(base + "text?lang=en").splitlines()
        personal = _get(base + "text?as=reader3@example.org")
        assert "Reader Three，您好！" in personal.splitlines()
        assert "/unsubscribe/test-send" not in personal
        public = _get(base + "?copy=public")
        assert "/unsubscribe/" not in public
        mobile = _get(base + "mobile?lang=en")
        assert 'src="/?lang=en"' in mobile
        assert 'href="/mobile?lang=zh"' in mobile
        with pytest.raises(urllib.error.HTTPError) as refused:
            _get(base + "?lang=fr")
        assert refused.value.code == 400
        assert refused.value.read().decode() == "no strings for language 'fr': use one of zh, en\n"
    finally:
        thread.join(30)
    (result,) = results
    assert result.exit_code == 0, result.output
    assert "?lang=en" in result.stdout
    assert "?as=EMAIL" in result.stdout

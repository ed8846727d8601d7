"""No internal marker (``__NEWSLETTER_...``) reaches a file, a page or an email.

Every sample digest goes the whole way through the real CLI, on SQLite and PostgreSQL:
import, compose, ``issue render`` (--out, --text, --mjml; the edition's language, the other
language, a subscriber's copy), the preview's pages (/, /text, /mobile with each query), the
send through the file transport (every part of every .eml), and the web archive's page.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from newsletter import db
from newsletter.cli import app
from newsletter.compose import get_issue
from newsletter.editions import get_edition
from newsletter.render.preview import preview_copies, preview_source, start_preview
from newsletter.render.reader import MARKER_PREFIX, reader_lookup
from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.paths import SAMPLES, SUBSCRIBERS_CSV

#: Every sample digest (pages/ holds site pages that are no digest: the import refuses them).
SAMPLE_FILES = sorted(
    p
    for p in SAMPLES.rglob("*")
    if p.suffix in {".md", ".xml", ".json"}
    and not {"images", "pages"} & set(p.relative_to(SAMPLES).parts)
    and p.name != "README.md"
)
_IMPORTED = re.compile(r"^(\S+) (\d{4}-\d{2}-\d{2}): imported", re.MULTILINE)
QUERIES = ["", "?lang=en", "?lang=zh", "?as=reader3@example.org", "?copy=public"]


def _ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def _clean(where: str, text: str) -> None:
    at = text.find(MARKER_PREFIX)
    assert at < 0, f"{where}: {text[max(0, at - 60) : at + 60]!r}"


def _eml_texts(path: Path) -> list[str]:
    message = email.message_from_bytes(path.read_bytes())
    texts = [str(v) for v in message.values()]
    for part in message.walk():
        assert isinstance(part, Message)
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            texts.append(payload.decode(part.get_content_charset() or "utf-8"))
    return texts


def _days(runner: CliRunner, sample: Path, edition: list[str]) -> list[str]:
    out = _ok(runner, "items", "import", str(sample), *edition)
    days = [day for _slug, day in _IMPORTED.findall(out)]
    assert days, out
    # A feed holds a week of days made the same way: its first and last stand for it.
    return sorted({days[0], days[-1]})


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_no_marker_in_any_output(
    sample: Path,
    runner: CliRunner,
    cli_env: Settings,
    engine: Engine,
    tmp_path: Path,
) -> None:
    _ok(runner, "subscribers", "import", str(SUBSCRIBERS_CSV), "--confirmed")
    edition: list[str] = []
    if sample.name.startswith("en-"):
        # The English edition, sending to the same list (its own language end to end).
        _ok(runner, "editions", "add", "en", "--name", "AI Daily", "--language", "en")
        edition = ["--edition", "en"]
    outbox = cli_env.file_outbox
    client = TestClient(create_app(cli_env, engine=engine), base_url="https://news.example.com")
    for day in _days(runner, sample, edition):
        _ok(runner, "issue", "compose", "--date", day, *edition)
        for n, choice in enumerate(
            [[], ["--language", "en"], ["--language", "zh"], ["--as", "reader1@example.com"]]
        ):
            files = [tmp_path / f"{day}-{n}.{ext}" for ext in ("html", "txt", "mjml")]
            args = ["--out", str(files[0]), "--text", str(files[1]), "--mjml", str(files[2])]
            _ok(runner, "issue", "render", "--date", day, *args, *choice, *edition)
            for path in files:
                _clean(f"{path.name} of {day}", path.read_text("utf-8"))
        with db.transaction(engine) as session:
            slug = edition[1] if edition else None
            issue = get_issue(
                session, dt.date.fromisoformat(day), edition=get_edition(session, slug)
            )
            rendered, seen = preview_source(issue, cli_env)
            finder = reader_lookup(engine, issue_id=issue.id, settings=seen)
        with start_preview(preview_copies(rendered, seen, find_reader=finder)) as server:
            for page in ("", "text", "mobile"):
                for query in QUERIES:
                    with urllib.request.urlopen(server.url + page + query, timeout=10) as r:
                        _clean(f"preview /{page}{query} of {day}", r.read().decode("utf-8"))
        _ok(runner, "send", "issue", "--date", day, *edition)
        sent = sorted(outbox.rglob("*.eml"))
        assert sent
        for path in sent:
            for text in _eml_texts(path):
                _clean(f"sent {path.name} of {day}", text)
            path.unlink()
        archive = client.get(f"/archive/{edition[1] if edition else 'default'}/{day}")
        assert archive.status_code == 200
        _clean(f"archive page of {day}", archive.text)

"""Tracking: off by default, per list; a tracked list's copy has tagged links and goes through
the tracking configuration set; the stored rendering (the archive) never changes."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.errors import ConfigError
from newsletter.feedback.tracking import link_tag, sending_settings, tag_links
from newsletter.items import store_digest
from newsletter.models import Issue
from newsletter.render import render_and_store
from newsletter.render.personalize import UNSUBSCRIBE_URL_MARK
from newsletter.settings import Settings
from tests.support.factories import add_person


def test_tag_links_names_each_link_and_leaves_the_unsubscribe_link_untracked() -> None:
    html = (
        '<p><a href="https://example.com/story/1?x=2">one</a> '
        '<a class="c" href="http://example.org/">two</a> '
        '<a href="mailto:news@example.com">mail</a> '
        f'<a href="{UNSUBSCRIBE_URL_MARK}">x</a>'
        f'<a style="color:red" href="https://news.example.com/u/{UNSUBSCRIBE_URL_MARK}">u</a></p>'
    )
    assert tag_links(html) == (
        '<p><a ses:tags="link:1-example-com-story-1;" href="https://example.com/story/1?x=2">'
        'one</a> <a class="c" ses:tags="link:2-example-org;" href="http://example.org/">two</a> '
        '<a href="mailto:news@example.com">mail</a> '
        f'<a ses:no-track href="{UNSUBSCRIBE_URL_MARK}">x</a>'
        f'<a style="color:red" ses:no-track href="https://news.example.com/u/'
        f'{UNSUBSCRIBE_URL_MARK}">u</a></p>'
    )
    assert tag_links(tag_links(html)) == tag_links(html)
    tag = link_tag("https://例子.example.com/" + "a" * 200, 12)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,60}", tag)


def test_tracked_lists_use_the_tracking_configuration_set(settings: Settings) -> None:
    ses = settings.model_copy(update={"transport": "ses", "ses_configuration_set": "plain"})
    assert sending_settings(ses, tracked=False).ses_configuration_set == "plain"
    with pytest.raises(ConfigError, match="NEWSLETTER_SES_TRACKING_CONFIGURATION_SET"):
        sending_settings(ses, tracked=True)
    tracked = ses.model_copy(update={"ses_tracking_configuration_set": "tracked"})
    assert sending_settings(tracked, tracked=True).ses_configuration_set == "tracked"
    assert sending_settings(settings, tracked=True) is settings  # the file transport


def _html_parts(outbox: Path) -> list[str]:
    parts = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("html",))
        assert body is not None
        parts.append(body.get_content())
    return parts


def test_only_the_tracked_list_gets_tagged_links_and_the_archive_never(
    engine: Engine, cli_env: Settings, runner: CliRunner, samples: Path
) -> None:
    digest = load_digests(samples / "ai-daily-2025-08-14.md")[0]
    with transaction(engine) as session:
        store_digest(session, digest, source="sample")
        issue = compose_issue(session, date=digest.date)
        render_and_store(session, issue, cli_env)
        stored = issue.rendered_html
    add_person(engine, "plain@example.com", list_name="daily")
    add_person(engine, "tracked@example.com", list_name="weekly")
    on = runner.invoke(app, ["report", "tracking", "weekly", "--on"])
    assert on.stdout.strip() == "weekly: tracking on"
    assert runner.invoke(app, ["report", "tracking", "weekly", "--on"]).stdout.strip() == (
        "weekly: tracking on (already)"
    )
    outbox = Path(cli_env.file_outbox)
    for name in ("daily", "weekly"):
        result = runner.invoke(app, ["send", "issue", "--date", "2025-08-14", "--list", name])
        assert result.exit_code == 0, result.output
    plain, tracked = sorted(_html_parts(outbox), key=lambda html: "ses:tags" in html)
    assert "ses:tags" not in plain
    assert tracked.count('ses:tags="link:') >= 5
    assert "ses:no-track" in tracked
    with transaction(engine) as session:
        assert session.scalar(select(Issue.rendered_html)) == stored
    assert stored is not None
    assert "ses:" not in stored
    off = runner.invoke(app, ["report", "tracking", "weekly", "--off"])
    assert off.stdout.strip() == "weekly: tracking off"

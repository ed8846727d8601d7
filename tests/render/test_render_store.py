"""render_and_store on SQLite and PostgreSQL: stored bytes, status rules, strict lint."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from newsletter import db
from newsletter.compose import compose_issue, get_issue
from newsletter.digest import load_digests
from newsletter.errors import StateError
from newsletter.items import store_digest
from newsletter.models import IssueStatus
from newsletter.render import LintError, render_and_store, render_issue
from newsletter.render.issue import stored_rendering
from newsletter.settings import Settings
from tests.support.paths import SAMPLES

DAY = dt.date(2025, 8, 14)


def _compose(engine: Engine, name: str = "ai-daily-2025-08-14.md") -> dt.date:
    (digest,) = load_digests(SAMPLES / name)
    with db.transaction(engine) as session:
        store_digest(session, digest, source=name)
        compose_issue(session, date=digest.date)
    return digest.date


def test_render_and_store_keeps_the_bytes(engine: Engine, settings: Settings) -> None:
    _compose(engine)
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        assert stored_rendering(issue) is None
        rendered = render_and_store(session, issue, settings)
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        assert issue.status == IssueStatus.RENDERED
        assert issue.rendered_at is not None
        assert stored_rendering(issue) == rendered
        assert stored_rendering(issue) == rendered
        assert render_issue(issue, settings) == rendered  # same bytes from the stored issue
        # A rendered issue may be rendered again.
        again = render_and_store(session, issue, settings)
        assert again == rendered


@pytest.mark.parametrize("status", [IssueStatus.SENDING, IssueStatus.SENT])
def test_sending_or_sent_issue_is_never_rerendered(
    status: IssueStatus, engine: Engine, settings: Settings
) -> None:
    _compose(engine)
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        render_and_store(session, issue, settings)
        issue.status = status
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        before = (issue.rendered_html, issue.rendered_at)
        with pytest.raises(StateError, match=status.value):
            render_and_store(session, issue, settings.model_copy(update={"brand_color": "#000000"}))
        assert (issue.rendered_html, issue.rendered_at) == before
        assert issue.status == status


def test_strict_lint_stores_nothing(engine: Engine, settings: Settings) -> None:
    _compose(engine)  # the sample has AVIF images and an http:// link
    with db.transaction(engine) as session:
        issue = get_issue(session, DAY)
        with pytest.raises(LintError, match="3 lint warnings"):
            render_and_store(session, issue, settings, strict=True)
        assert issue.rendered_html is None
        assert issue.status == IssueStatus.DRAFT


def test_lint_warnings_are_logged(
    engine: Engine, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    _compose(engine)
    with db.transaction(engine) as session:
        render_and_store(session, get_issue(session, DAY), settings)
    messages = [r.getMessage() for r in caplog.records if r.name == "newsletter.render.issue"]
    assert any("img-format" in m for m in messages)


def test_clean_issue_passes_strict(engine: Engine, settings: Settings) -> None:
    day = _compose(engine, "ai-daily-2026-01-20.md")
    with db.transaction(engine) as session:
        render_and_store(session, get_issue(session, day), settings, strict=True)
        assert get_issue(session, day).status == IssueStatus.RENDERED

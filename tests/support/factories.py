"""Factories for subscribers and issues, through the library's own functions."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, insert

from newsletter import compose
from newsletter.audience import add_subscriber
from newsletter.audience.addresses import email_hash
from newsletter.audience.csv_read import CsvSubscriber
from newsletter.audience.importer import subscriber_row
from newsletter.compose import compose_issue
from newsletter.db import transaction
from newsletter.digest import load_digests
from newsletter.editions import default_edition
from newsletter.items import store_digest
from newsletter.models import Issue, IssueStatus, Subscriber, Subscription, SubscriptionStatus
from newsletter.render import render_and_store
from newsletter.settings import Settings
from tests.support.identity import TEST_POSTAL_ADDRESS

#: Signs links in the tests' settings (long enough to be accepted).
TEST_SECRET = "test-secret-key-0123456789-abcdefghijklmnop"
BASE_URL = "https://news.example.com"
SENDER = "AI 日报 <news@example.com>"


#: The settings a CLI process of the tests needs (the rest keep their defaults).
CLI_SETTINGS = (
    "database_url",
    "base_url",
    "sender",
    "secret_key",
    "transport",
    "file_outbox",
    "postal_address",
)


def settings_env(settings: Settings) -> dict[str, str]:
    """The test settings as the NEWSLETTER_* variables a CLI process reads."""
    return {f"NEWSLETTER_{name.upper()}": str(getattr(settings, name)) for name in CLI_SETTINGS}


def all_settings_env(settings: Settings) -> dict[str, str]:
    """Every setting as the NEWSLETTER_* variable that gives it back (for a CLI process that
    must see exactly ``settings``)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:  # unset: the default applies
            continue
        env[f"NEWSLETTER_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def render_settings() -> Settings:
    """Settings enough to render (no database is touched)."""
    return Settings(base_url=BASE_URL, sender=SENDER, postal_address=TEST_POSTAL_ADDRESS)


@dataclass
class Person:
    """A subscriber on a list, with the ids a token carries."""

    email: str
    subscriber_id: int
    list_id: int


def add_person(
    engine: Engine,
    email: str,
    *,
    list_name: str = "daily",
    name: str = "",
    confirmed: bool = True,
) -> Person:
    """A subscriber of ``list_name``: active, or pending without ``confirmed``."""
    with transaction(engine) as session:
        result = add_subscriber(
            session, email=email, list_name=list_name, name=name, confirmed=confirmed
        )
        assert result.subscriber is not None
        assert result.subscription is not None
        return Person(email, result.subscriber.id, result.subscription.list_id)


def issue_from_digest(path: Path) -> Issue:
    """An in-memory issue built from a sample digest the way `issue compose` builds it."""
    (digest,) = load_digests(path)
    return compose.issue_from_digest(digest)


def add_issue(
    engine: Engine,
    day: dt.date,
    *,
    subject: str = "AI 日报",
    html: str = "<html><body>issue</body></html>",
    status: IssueStatus = IssueStatus.SENT,
) -> int:
    """An issue of ``day`` with a stored rendering; returns its id."""
    with transaction(engine) as session:
        issue = Issue(
            edition=default_edition(session),
            date=day,
            subject=subject,
            summary="",
            preheader=f"{subject} 摘要",
            sections=[],
            status=status,
            rendered_subject=subject,
            rendered_html=html,
            rendered_text="issue",
            rendered_at=dt.datetime.now(dt.UTC),
            sent_at=dt.datetime.now(dt.UTC) if status is IssueStatus.SENT else None,
        )
        session.add(issue)
        session.flush()
        return issue.id


def publish_sample(engine: Engine, settings: Settings, path: Path, *, sent: bool = True) -> Issue:
    """Import a sample digest, compose and render its issue; with ``sent`` also mark it sent
    (the archive's input). Returns the issue."""
    digest = load_digests(path)[0]
    with transaction(engine) as session:
        store_digest(session, digest, source=str(path))
        issue = compose_issue(session, date=digest.date)
        render_and_store(session, issue, settings)
        if sent:
            issue.status = IssueStatus.SENT
            issue.sent_at = dt.datetime.now(dt.UTC)
    return issue


def insert_active_subscribers(
    conn: Connection, ids: range | list[int], *, list_id: int, now: dt.datetime, local: str
) -> None:
    """Active, confirmed subscribers ``<local><id>@example.com`` ("Reader <id>") with the
    given ids on ``list_id``, in two statements: for sends and benches of many readers."""
    addresses = {i: f"{local}{i}@example.com" for i in ids}
    people = {
        i: CsvSubscriber(0, a, email_hash(a), f"Reader {i}", "", {}) for i, a in addresses.items()
    }
    conn.execute(
        insert(Subscriber), [{"id": i, **subscriber_row(p, now)} for i, p in people.items()]
    )
    conn.execute(
        insert(Subscription),
        [
            {
                "subscriber_id": i,
                "list_id": list_id,
                "status": SubscriptionStatus.ACTIVE,
                "created_at": now,
                "confirmed_at": now,
            }
            for i in ids
        ],
    )

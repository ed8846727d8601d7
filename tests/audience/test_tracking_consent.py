"""A person's own tracking choice, from every place it can be made: the CLI, a CSV column,
the preference page; each change an event in their history."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.db import transaction
from newsletter.models import EventKind, Subscriber
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose
from tests.support.audience import events_of, person_token
from tests.support.factories import add_person
from tests.support.sns import SnsSigner
from tests.support.web import app_client


def _tracking(engine: Engine, subscriber_id: int) -> bool | None:
    with transaction(engine) as session:
        person = session.get(Subscriber, subscriber_id)
        assert person is not None
        return person.tracking


def test_the_cli_sets_and_clears_the_choice(
    runner: CliRunner, cli_env: Settings, engine: Engine
) -> None:
    person = add_person(engine, "reader@example.com")
    off = runner.invoke(app, ["subscribers", "tracking", "reader@example.com", "off", "--json"])
    assert off.exit_code == 0, off.output
    assert json.loads(off.stdout) == {
        "email": "reader@example.com",
        "tracking": "off",
        "changed": True,
    }
    assert _tracking(engine, person.subscriber_id) is False
    again = runner.invoke(app, ["subscribers", "tracking", "reader@example.com", "off"])
    assert "(unchanged)" in again.stdout
    runner.invoke(app, ["subscribers", "tracking", "reader@example.com", "list"])
    assert _tracking(engine, person.subscriber_id) is None
    kinds = [(e.kind, e.detail) for e in events_of(engine, person.subscriber_id)]
    assert (EventKind.TRACKING_CHANGED, "list -> off") in kinds
    assert (EventKind.TRACKING_CHANGED, "off -> list") in kinds
    bad = runner.invoke(app, ["subscribers", "tracking", "reader@example.com", "maybe"])
    assert bad.exit_code == 2
    assert "tracking is one of on, off or list" in bad.stderr


def test_a_csv_column_carries_the_choice(
    runner: CliRunner, cli_env: Settings, engine: Engine, tmp_path: Path
) -> None:
    existing = add_person(engine, "old@example.com")
    csv = tmp_path / "people.csv"
    csv.write_text(
        "email,name,tracking\n"
        "yes@example.com,Y,yes\n"
        "no@example.com,N,no\n"
        "blank@example.com,B,\n"
        "odd@example.com,O,perhaps\n"
        "old@example.com,Old,no\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["subscribers", "import", str(csv), "--confirmed", "--json"])
    assert result.exit_code == 0, result.output
    assert "perhaps" in result.output  # reported, not lost
    with transaction(engine) as session:
        rows = {p.email: p.tracking for p in session.query(Subscriber).all()}
    assert rows["yes@example.com"] is True
    assert rows["no@example.com"] is False
    assert rows["blank@example.com"] is None
    assert rows["odd@example.com"] is None
    assert rows[existing.email] is False  # an empty choice is filled by the file


def test_the_preference_page_sets_the_choice(
    settings: Settings, engine: Engine, sns_signer: SnsSigner
) -> None:
    person = add_person(engine, "reader@example.com")
    url = f"/preferences/{person_token(settings, person, TokenPurpose.PREFERENCES)}"
    with app_client(settings, engine=engine, signer=sns_signer) as client:
        page = client.get(url)
        assert 'name="tracking"' in page.text
        assert _tracking(engine, person.subscriber_id) is None  # a GET changes nothing
        saved = client.post(
            url, data={"do": "save", "list": [str(person.list_id)], "tracking": "off"}
        )
        assert saved.status_code == 200
    assert _tracking(engine, person.subscriber_id) is False
    kinds = [(e.kind, e.method) for e in events_of(engine, person.subscriber_id)]
    assert (EventKind.TRACKING_CHANGED, "preferences") in kinds

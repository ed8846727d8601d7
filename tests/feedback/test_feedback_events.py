"""Every SES event type, signed and verified, through the HTTP endpoint and the SNS Lambda:
the table afterwards exactly, replays that change nothing, and events for unknown messages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from newsletter.db import transaction
from newsletter.feedback.rates import event_of_delivery
from newsletter.models import Delivery, DeliveryEvent
from newsletter.settings import Settings
from subscribers import lambda_handlers
from tests.support.factories import Person, add_issue, add_person
from tests.support.feedback import add_delivery, db_state, event_rows, subscriber_status
from tests.support.sns import TOPIC, SnsSigner, ses_message, sns_notification

Deliver = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _post(client: TestClient, message: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/ses/notifications",
        content=json.dumps(message).encode(),
        headers={"Content-Type": "text/plain; charset=UTF-8"},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture
def lambda_env(
    cli_env: Settings, sns_signer: SnsSigner, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The SNS Lambda's environment; its container verifier trusts the local certificate."""
    monkeypatch.setenv("NEWSLETTER_SNS_TOPIC_ARNS", json.dumps([TOPIC]))
    monkeypatch.setattr(lambda_handlers, "_sns_verifier", [sns_signer.verifier()])
    return cli_env


@pytest.fixture(params=["http", "lambda"])
def deliver(request: pytest.FixtureRequest, client: TestClient, sns_signer: SnsSigner) -> Deliver:
    """Sends signed SNS messages through one path; returns what each one did."""
    if request.param == "http":
        return lambda messages: [_post(client, m) for m in messages]
    request.getfixturevalue("lambda_env")

    def through_lambda(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        event = {"Records": [sns_signer.lambda_record(m) for m in messages]}
        return [lambda_handlers.sns(event, None)]

    return through_lambda


def _world(engine: Engine) -> tuple[list[Person], dict[str, int]]:
    people = [add_person(engine, f"reader{n}@example.com") for n in range(6)]
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    deliveries = {
        f"0100-msg-{n}": add_delivery(engine, person, issue_id, message_id=f"0100-msg-{n}")
        for n, person in enumerate(people)
    }
    return people, deliveries


def _messages(signer: SnsSigner, people: list[Person]) -> list[dict[str, Any]]:
    def msg(kind: str, n: int, **options: Any) -> str:
        return ses_message(kind, message_id=f"0100-msg-{n}", recipient=people[n].email, **options)

    events = [
        msg("Send", 0),
        msg("Delivery", 0),
        msg("Open", 0, at="2025-08-14T08:00:00.000Z"),
        msg("Open", 0, at="2025-08-14T09:30:00.000Z"),
        msg("Click", 0, link="https://example.com/a", tag="story-1"),
        msg("Send", 1),
        msg("DeliveryDelay", 1),
        msg("Bounce", 1, permanent=False, diagnostic="smtp; 452 4.2.2 mailbox full"),
        msg("Send", 2),
        msg("Bounce", 2),
        msg("Send", 3),
        msg("Delivery", 3),
        msg("Complaint", 3),
        msg("Reject", 4),
        msg("Rendering Failure", 5),
        msg("Subscription", 5),
        ses_message("Delivery", message_id="0100-never-sent", recipient="x@example.org"),
    ]
    return [
        signer.sign(sns_notification(text, message_id=f"sns-{n}"), version="2" if n % 2 else "1")
        for n, text in enumerate(events)
    ]


def _expected(d: dict[str, int]) -> list[tuple[str, str, int | None, str, str, str, str, str]]:
    def row(
        kind: str,
        n: int,
        *,
        bt: str = "",
        st: str = "",
        diag: str = "",
        link: str = "",
        tag: str = "",
    ) -> tuple[str, str, int | None, str, str, str, str, str]:
        mid = f"0100-msg-{n}"
        return (kind, mid, d[mid], bt, st, diag, link, tag)

    return [
        row("send", 0),
        row("delivery", 0, diag="250 2.6.0 Message received"),
        row("open", 0),
        row("open", 0),
        row("click", 0, link="https://example.com/a", tag="story-1"),
        row("send", 1),
        row(
            "delivery_delay",
            1,
            diag="TransientCommunicationFailure: "
            "smtp; 421 4.4.0 Unable to lookup DNS for example.com",
        ),
        row("bounce", 1, bt="Transient", st="MailboxFull", diag="smtp; 452 4.2.2 mailbox full"),
        row("send", 2),
        row("bounce", 2, bt="Permanent", st="General", diag="smtp; 550 5.1.1 user unknown"),
        row("send", 3),
        row("delivery", 3, diag="250 2.6.0 Message received"),
        row("complaint", 3, diag="abuse"),
        row("reject", 4, diag="Bad content"),
        row("rendering_failure", 5, diag="Attribute 'name' is not present in the rendering data."),
        row("subscription", 5),
        ("delivery", "0100-never-sent", None, "", "", "250 2.6.0 Message received", "", ""),
    ]


def test_every_event_type_is_recorded_once_with_its_details(
    deliver: Deliver, engine: Engine, sns_signer: SnsSigner
) -> None:
    people, deliveries = _world(engine)
    messages = _messages(sns_signer, people)
    results = deliver(messages)
    assert event_rows(engine) == _expected(deliveries)
    assert [subscriber_status(engine, p.subscriber_id) for p in people] == [
        "ok",
        "ok",
        "bounced",
        "complained",
        "ok",
        "ok",
    ]
    assert db_state(engine).subscribers[1][2] == 1  # one soft bounce counted
    if len(results) == 1:  # the Lambda: one invocation, counts
        assert results == [
            {"records": 17, "ignored": 0, "changed": 3, "recorded": 17, "unknown": 1}
        ]
    else:
        assert [r["unknown"] for r in results] == [False] * 16 + [True]
        assert sum(r["changed"] for r in results) == 3
    # A replay of everything, in another order, changes nothing at all.
    state = db_state(engine)
    replay = deliver(list(reversed(messages)))
    assert db_state(engine) == state
    if len(replay) == 1:
        assert replay[0]["recorded"] == 0
    else:
        assert not any(r["recorded"] for r in replay)


def test_the_same_event_through_both_paths_is_recorded_once(
    client: TestClient, engine: Engine, sns_signer: SnsSigner, lambda_env: Settings
) -> None:
    people, deliveries = _world(engine)
    messages = _messages(sns_signer, people)
    for message in messages[:9]:
        _post(client, message)
    event = {"Records": [sns_signer.lambda_record(m) for m in messages]}
    counts = lambda_handlers.sns(event, None)
    assert counts["recorded"] == 8
    assert event_rows(engine) == _expected(deliveries)


def test_the_same_bounce_published_twice_with_two_sns_ids_counts_once(
    client: TestClient, engine: Engine, sns_signer: SnsSigner
) -> None:
    people, _ = _world(engine)
    text = ses_message(
        "Bounce", message_id="0100-msg-1", recipient=people[1].email, permanent=False
    )
    for n in range(3):
        _post(client, sns_signer.sign(sns_notification(text, message_id=f"sns-dup-{n}")))
    assert db_state(engine).subscribers[1][2] == 1
    assert len(event_rows(engine)) == 1


def test_an_event_for_an_unknown_message_is_kept_and_joined_when_the_delivery_appears(
    client: TestClient, engine: Engine, sns_signer: SnsSigner
) -> None:
    person = add_person(engine, "early@example.com")
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    text = ses_message("Delivery", message_id="0100-late", recipient=person.email)
    result = _post(client, sns_signer.sign(sns_notification(text)))
    assert (result["recorded"], result["unknown"]) == (True, True)
    assert [r[2] for r in event_rows(engine)] == [None]
    delivery_id = add_delivery(engine, person, issue_id, message_id="0100-late")
    with transaction(engine) as session:
        joined = session.scalars(select(Delivery.id).join(DeliveryEvent, event_of_delivery())).all()
    assert joined == [delivery_id]
    assert [r[2] for r in event_rows(engine)] == [None]  # joined when read, never repaired


def test_a_lambda_record_with_a_bad_signature_changes_nothing(
    engine: Engine, sns_signer: SnsSigner, lambda_env: Settings
) -> None:
    people, _ = _world(engine)
    before = db_state(engine)
    good = _messages(sns_signer, people)[9]  # the hard bounce
    forged = {**good, "Signature": good["Signature"][:-8] + "AAAAAAA="}
    foreign = {**good, "TopicArn": "arn:aws:sns:us-east-1:1:x"}
    unsigned = sns_notification(good["Message"])
    event = {"Records": [sns_signer.lambda_record(m) for m in (forged, foreign, unsigned)]}
    assert lambda_handlers.sns(event, None) == {
        "records": 3,
        "ignored": 3,
        "changed": 0,
        "recorded": 0,
        "unknown": 0,
    }
    assert db_state(engine) == before

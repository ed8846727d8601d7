"""Sign-up and double opt-in: the same answer for every address, honeypot, rate limits, confirm."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.audience import unsubscribe
from newsletter.db import transaction
from newsletter.feedback.suppression import record_bounce
from newsletter.models import EventKind
from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.audience import confirm_token, db_state, events_of
from tests.support.factories import add_person
from tests.support.mail import part_text, read_outbox
from tests.support.sns import SnsSigner

CONFIRM_LINK = re.compile(r"https://news\.example\.com/confirm/[A-Za-z0-9_.-]+")


def outbox(settings: Settings) -> list[email.message.EmailMessage]:
    """The messages the file transport wrote, oldest first."""
    return read_outbox(Path(settings.file_outbox))


def confirm_link(message: email.message.EmailMessage) -> str:
    """The confirm link of a double opt-in email (from its plain-text part)."""
    found = CONFIRM_LINK.search(part_text(message))
    assert found is not None
    return found.group(0)


class Clock:
    """A settable monotonic clock for the rate limits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limited(
    web_settings: Settings, engine: Engine, sns_signer: SnsSigner, clock: Clock
) -> TestClient:
    """The app with a controllable clock for the sign-up limits."""
    return TestClient(
        create_app(web_settings, engine=engine, sns_verifier=sns_signer.verifier(), clock=clock),
        base_url="https://news.example.com",
    )


def _signup(client: TestClient, address: str, **extra: str) -> tuple[int, str]:
    response = client.post("/subscribe", data={"email": address, "name": "", **extra})
    return response.status_code, response.text


def test_form_is_a_phone_friendly_page_with_a_honeypot(client: TestClient) -> None:
    response = client.get("/subscribe")
    assert response.status_code == 200
    page = response.text
    assert 'name="viewport"' in page
    assert 'type="email"' in page
    assert 'name="website"' in page  # the honeypot, hidden from people
    assert 'tabindex="-1"' in page
    assert "订阅" in page


def test_new_address_gets_pending_and_a_confirmation_email(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    status, page = _signup(client, "new@example.com", name="小明")
    assert status == 200
    assert "请查收确认邮件" in page
    assert [s[2] for s in db_state(engine).subscriptions] == ["pending"]
    [message] = outbox(web_settings)
    assert message["To"].addresses[0].addr_spec == "new@example.com"
    assert confirm_link(message).startswith("https://news.example.com/confirm/")


def test_the_answer_is_the_same_whether_the_address_is_known_or_not(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    add_person(engine, "active@example.com")
    left = add_person(engine, "left@example.com")
    add_person(engine, "bounced@example.com")
    with transaction(engine) as session:
        unsubscribe(session, subscriber_id=left.subscriber_id, list_id=None, method="operator")
        record_bounce(
            session, email="bounced@example.com", permanent=True, detail="550", soft_limit=3
        )
    _signup(client, "pending@example.com")
    answers = {
        address: _signup(client, address)
        for address in (
            "stranger@example.com",
            "pending@example.com",
            "active@example.com",
            "left@example.com",
            "bounced@example.com",
        )
    }
    assert len(set(answers.values())) == 1, answers
    assert next(iter(answers.values()))[0] == 200
    # Only those who can be subscribed get (another) confirmation email.
    recipients = [m["To"].addresses[0].addr_spec for m in outbox(web_settings)]
    assert sorted(recipients) == [
        "left@example.com",
        "pending@example.com",
        "pending@example.com",
        "stranger@example.com",
    ]


def test_honeypot_gets_the_same_answer_and_nothing_happens(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    before = db_state(engine)
    honeypot = _signup(client, "bot@example.com", website="https://spam.example.org")
    real = _signup(client, "person@example.com")
    assert honeypot == real
    assert before.subscriptions == ()
    assert [s[2] for s in db_state(engine).subscriptions] == ["pending"]
    assert [m["To"].addresses[0].addr_spec for m in outbox(web_settings)] == ["person@example.com"]


@pytest.mark.parametrize("bad", ["", "not-an-address", "a@b@example.com", "x" * 400 + "@e.com"])
def test_invalid_address_shows_the_form_again(
    client: TestClient, web_settings: Settings, engine: Engine, bad: str
) -> None:
    status, page = _signup(client, bad)
    assert status == 400
    assert "请填写一个有效的邮箱地址" in page
    assert db_state(engine).subscriptions == ()
    assert outbox(web_settings) == []


def test_per_address_limit_sends_no_more_email_but_answers_the_same(
    limited: TestClient, web_settings: Settings, clock: Clock
) -> None:
    assert web_settings.subscribe_rate_per_address == 2
    answers = {_signup(limited, spelling) for spelling in ("Bomb@example.com", "bomb@EXAMPLE.com")}
    answers.add(_signup(limited, "bomb@example.com"))
    assert len(answers) == 1
    assert len(outbox(web_settings)) == 2
    clock.now += web_settings.subscribe_rate_window_seconds + 1
    _signup(limited, "bomb@example.com")
    assert len(outbox(web_settings)) == 3


def test_per_client_limit_answers_429(
    limited: TestClient, web_settings: Settings, clock: Clock
) -> None:
    limit = web_settings.subscribe_rate_per_client
    for n in range(limit):
        assert _signup(limited, f"c{n}@example.com")[0] == 200
    status, page = _signup(limited, "over@example.com")
    assert status == 429
    assert "请求过于频繁" in page
    assert len(outbox(web_settings)) == limit
    # Another client is not affected, and the window passes.
    other = TestClient(limited.app, client=("203.0.113.9", 4000))
    assert _signup(other, "other@example.com")[0] == 200
    clock.now += web_settings.subscribe_rate_window_seconds + 1
    assert _signup(limited, "over@example.com")[0] == 200


def test_confirm_get_changes_nothing_and_post_confirms_once(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    _signup(client, "confirm@example.com")
    link = confirm_link(outbox(web_settings)[0])
    before = db_state(engine)
    page = client.get(link)
    assert page.status_code == 200
    assert 'method="post"' in page.text
    assert db_state(engine) == before
    done = client.post(link, data={"confirm": "1"})
    assert done.status_code == 200
    assert "订阅成功" in done.text
    assert [s[2] for s in db_state(engine).subscriptions] == ["active"]
    subscriber_id = db_state(engine).subscribers[0][0]
    state = db_state(engine)
    again = client.post(link, data={"confirm": "1"})
    assert again.status_code == 200
    assert "订阅成功" in again.text
    assert db_state(engine) == state
    confirmed = [e for e in events_of(engine, subscriber_id) if e.kind is EventKind.CONFIRMED]
    assert [e.method for e in confirmed] == ["link"]
    assert "订阅成功" in client.get(link).text


def test_confirm_refuses_bad_expired_and_wrong_purpose_tokens(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    _signup(client, "later@example.com")
    good = confirm_link(outbox(web_settings)[0]).rsplit("/", 1)[1]
    subscriber_id, list_id, _ = db_state(engine).subscriptions[0]
    from newsletter.tokens import TokenPurpose, make_token

    person_token = make_token(
        web_settings, purpose=TokenPurpose.UNSUBSCRIBE, subscriber_id=subscriber_id, list_id=list_id
    )
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=web_settings.confirm_token_days + 1)
    from tests.support.factories import Person

    expired = confirm_token(web_settings, Person("", subscriber_id, list_id), now=old)
    before = db_state(engine)
    bodies = set()
    for token in (person_token, good[:-2] + "xx", "garbage"):
        for verb in ("get", "post"):
            response = client.request(verb.upper(), f"/confirm/{token}")
            assert response.status_code == 400
            bodies.add(response.text)
    assert len(bodies) == 1
    # An expired link explains itself and offers a new one (the way on), and confirms nothing.
    for verb in ("get", "post"):
        response = client.request(verb.upper(), f"/confirm/{expired}")
        assert response.status_code == 400
        assert "链接已过期" in response.text
        assert f'action="/confirm/{expired}/renew"' in response.text
    assert db_state(engine) == before


def test_confirm_after_unsubscribing_does_not_resubscribe(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    _signup(client, "changed@example.com")
    link = confirm_link(outbox(web_settings)[0])
    subscriber_id = db_state(engine).subscribers[0][0]
    with transaction(engine) as session:
        unsubscribe(session, subscriber_id=subscriber_id, list_id=None, method="operator")
    response = client.post(link, data={"confirm": "1"})
    assert response.status_code == 200
    assert "无法确认" in response.text
    assert [s[2] for s in db_state(engine).subscriptions] == ["unsubscribed"]

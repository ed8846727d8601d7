"""Unsubscribe routes: GET changes nothing, POST (button or RFC 8058 one-click) unsubscribes."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.models import EventKind, SubscriptionStatus
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, make_token
from tests.support.audience import confirm_token, db_state, events_of, unsubscribe_token
from tests.support.factories import add_issue, add_person

ONE_CLICK = b"List-Unsubscribe=One-Click"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _unsigned(page: str) -> str:
    """The page with each signed token's timestamp and signature blanked."""
    return re.sub(r"(/[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{20,}", r"\1.T.S", page)


def _status(engine: Engine, subscriber_id: int) -> list[str]:
    return [str(s[2]) for s in db_state(engine).subscriptions if s[0] == subscriber_id]


def test_get_shows_masked_address_and_button_and_changes_nothing(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "reader@example.com")
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    before = db_state(engine)
    for _ in range(3):  # link scanners fetch more than once
        response = client.get(f"/unsubscribe/{unsubscribe_token(web_settings, person, issue_id)}")
        assert response.status_code == 200
    assert db_state(engine) == before
    page = response.text
    assert "re***@example.com" in page
    assert "reader@example.com" not in page
    assert 'method="post"' in page
    assert 'lang="zh-CN"' in page
    assert 'name="viewport"' in page
    assert "确认退订" in page
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers


def test_one_click_post_without_cookies_unsubscribes_and_records_method_and_issue(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "one@example.com")
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    url = f"/unsubscribe/{unsubscribe_token(web_settings, person, issue_id)}"
    client.cookies.clear()
    response = client.post(url, headers=FORM, content=ONE_CLICK)
    assert response.status_code == 200
    assert "cookie" not in {k.lower() for k in response.request.headers}
    assert "set-cookie" not in response.headers
    assert _status(engine, person.subscriber_id) == [SubscriptionStatus.UNSUBSCRIBED.value]
    unsubscribed = [
        e for e in events_of(engine, person.subscriber_id) if e.kind is EventKind.UNSUBSCRIBED
    ]
    assert [(e.method, e.issue_id, e.list_id) for e in unsubscribed] == [
        ("one-click", issue_id, person.list_id)
    ]


def test_one_click_is_idempotent(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "twice@example.com")
    url = f"/unsubscribe/{unsubscribe_token(web_settings, person)}"
    first = client.post(url, headers=FORM, content=ONE_CLICK)
    state = db_state(engine)
    second = client.post(url, headers=FORM, content=ONE_CLICK)
    assert first.status_code == second.status_code == 200
    # The pages mint fresh signed links; only their timestamp and signature may differ.
    assert _unsigned(first.text) == _unsigned(second.text)
    assert db_state(engine) == state
    kinds = [e.kind for e in events_of(engine, person.subscriber_id)]
    assert kinds.count(EventKind.UNSUBSCRIBED) == 1


def test_one_click_as_multipart_form(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "multi@example.com")
    url = f"/unsubscribe/{unsubscribe_token(web_settings, person)}"
    response = client.post(url, files={"List-Unsubscribe": (None, "One-Click")})
    assert response.status_code == 200
    methods = [e.method for e in events_of(engine, person.subscriber_id)]
    assert methods[-1] == "one-click"


def test_button_post_records_link_method(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "button@example.com")
    url = f"/unsubscribe/{unsubscribe_token(web_settings, person)}"
    response = client.post(url, data={"confirm": "1"})
    assert response.status_code == 200
    assert "已退订" in response.text
    event = events_of(engine, person.subscriber_id)[-1]
    assert (event.kind, event.method, event.issue_id) == (EventKind.UNSUBSCRIBED, "link", None)
    # Afterwards the GET shows the result, not the button.
    again = client.get(url)
    assert again.status_code == 200
    assert 'id="unsubscribe"' not in again.text  # the result: no unsubscribe button


def test_unsubscribe_touches_only_the_list_of_the_token(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    daily = add_person(engine, "both@example.com")
    weekly = add_person(engine, "both@example.com", list_name="weekly")
    client.post(f"/unsubscribe/{unsubscribe_token(web_settings, weekly)}", data={"confirm": "1"})
    assert _status(engine, daily.subscriber_id) == ["active", "unsubscribed"]


def _b64(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_tokens(settings: Settings, engine: Engine) -> dict[str, str]:
    person = add_person(engine, "victim@example.com")
    good = unsubscribe_token(settings, person)
    payload, stamp, signature = good.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    other_key = settings.model_copy(update={"secret_key": "another-secret-key-" + "x" * 30})
    return {
        "forged": "eyJmb3JnZWQiOnRydWV9.aGVsbG8.c2lnbmF0dXJl",
        "garbage": "not-a-token",
        "tampered_signature": f"{payload}.{stamp}.{flipped}",
        "tampered_payload": f"{_b64([person.subscriber_id + 1, person.list_id, None])}.{stamp}."
        f"{signature}",
        "other_key": unsubscribe_token(other_key, person),
        "wrong_purpose": confirm_token(settings, person),
        "padded": good + "==",
    }


@pytest.mark.parametrize("verb", ["get", "post"])
def test_bad_tokens_get_the_same_plain_400_and_change_nothing(
    client: TestClient, web_settings: Settings, engine: Engine, verb: str
) -> None:
    tokens = _bad_tokens(web_settings, engine)
    before = db_state(engine)
    bodies = set()
    for name, token in tokens.items():
        if verb == "get":
            response = client.get(f"/unsubscribe/{token}")
        else:
            response = client.post(f"/unsubscribe/{token}", headers=FORM, content=ONE_CLICK)
        assert response.status_code == 400, name
        assert "victim" not in response.text
        bodies.add(response.text)
    assert len(bodies) == 1  # the page says nothing about what was wrong
    assert db_state(engine) == before


def test_token_of_a_rotated_key_still_unsubscribes(
    client: TestClient, web_settings: Settings, engine: Engine
) -> None:
    person = add_person(engine, "rotated@example.com")
    old = web_settings.model_copy(update={"secret_key": "the-previous-secret-key-" + "y" * 20})
    token = make_token(
        old,
        purpose=TokenPurpose.UNSUBSCRIBE,
        subscriber_id=person.subscriber_id,
        list_id=person.list_id,
    )
    rotated = web_settings.model_copy(update={"old_secret_keys": [old.secret_key]})
    from subscribers.app import create_app

    with TestClient(create_app(rotated, engine=engine)) as rotated_client:
        response = rotated_client.post(f"/unsubscribe/{token}", headers=FORM, content=ONE_CLICK)
    assert response.status_code == 200
    assert _status(engine, person.subscriber_id) == ["unsubscribed"]


def test_english_pages(web_settings: Settings, engine: Engine) -> None:
    from subscribers.app import create_app

    english = web_settings.model_copy(update={"language": "en"})
    person = add_person(engine, "english@example.com")
    with TestClient(create_app(english, engine=engine)) as en_client:
        page = en_client.get(f"/unsubscribe/{unsubscribe_token(english, person)}").text
    assert 'lang="en"' in page
    assert "Unsubscribe en***@example.com from" in page

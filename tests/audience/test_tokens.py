"""Signed link tokens: valid, expired, tampered, foreign, wrong purpose, key rotation."""

from __future__ import annotations

import datetime as dt

import pytest

from newsletter.errors import ConfigError
from newsletter.settings import Settings
from newsletter.tokens import InvalidTokenError, TokenData, TokenPurpose, make_token, read_token

KEY = "k1-0123456789abcdefghijklmnopqrstuvwxyz"
NEW_KEY = "k2-0123456789abcdefghijklmnopqrstuvwxyz"
NOW = dt.datetime(2026, 1, 20, 8, 0, tzinfo=dt.UTC)
UNSUB = TokenPurpose.UNSUBSCRIBE
CONFIRM = TokenPurpose.CONFIRM


def _settings(key: str = KEY, old: list[str] | None = None, days: int = 7) -> Settings:
    return Settings(secret_key=key, old_secret_keys=old or [], confirm_token_days=days)


def test_valid_tokens_carry_ids_and_issue() -> None:
    s = _settings()
    token = make_token(s, purpose=UNSUB, subscriber_id=12, list_id=3, issue_id=45)
    assert read_token(s, token, purpose=UNSUB) == TokenData(UNSUB, 12, 3, 45)
    confirm = make_token(s, purpose=CONFIRM, subscriber_id=12, list_id=3)
    assert read_token(s, confirm, purpose=CONFIRM) == TokenData(CONFIRM, 12, 3, None)


def test_tokens_are_opaque_url_safe_and_hold_no_address() -> None:
    token = make_token(_settings(), purpose=UNSUB, subscriber_id=12, list_id=3)
    assert all(c.isalnum() or c in "-_." for c in token)
    assert "@" not in token


def test_confirm_token_expires_after_the_configured_days() -> None:
    s = _settings(days=7)
    token = make_token(s, purpose=CONFIRM, subscriber_id=1, list_id=1, now=NOW)
    day6 = NOW + dt.timedelta(days=6, hours=23)
    assert read_token(s, token, purpose=CONFIRM, now=day6).subscriber_id == 1
    with pytest.raises(InvalidTokenError) as info:
        read_token(s, token, purpose=CONFIRM, now=NOW + dt.timedelta(days=7, seconds=1))
    assert info.value.expired
    assert str(info.value) == "the link has expired"
    with pytest.raises(InvalidTokenError):
        read_token(s, token, purpose=CONFIRM)  # with the real clock: long past


def test_unsubscribe_token_does_not_expire() -> None:
    s = _settings()
    token = make_token(s, purpose=UNSUB, subscriber_id=1, list_id=1, now=NOW)
    ten_years = NOW + dt.timedelta(days=3650)
    assert read_token(s, token, purpose=UNSUB, now=ten_years).list_id == 1


def _tampered(token: str) -> list[str]:
    payload, stamp, signature = token.split(".")
    flip = {"A": "B", "B": "A"}
    last = signature[-1]
    other_last = [c for c in "AEIMQUYcgkosw048" if c != last]  # differ in the high bits
    return [
        token[:-1] + other_last[0],  # signature changed
        f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{stamp}.{signature}",  # payload
        f"{payload}.{stamp[:-1]}{flip.get(stamp[-1], 'A')}.{signature}",  # timestamp
        token + "=",  # padding that base64 would ignore
        token + "A",
        " " + token,
        token.replace(".", "..", 1),
        f"{payload}.{signature}",  # a part missing
        "",
        "garbage",
    ]


def test_tampered_tokens_are_rejected() -> None:
    s = _settings()
    token = make_token(s, purpose=UNSUB, subscriber_id=7, list_id=2)
    for bad in _tampered(token):
        with pytest.raises(InvalidTokenError) as info:
            read_token(s, bad, purpose=UNSUB)
        assert not info.value.expired, bad


def test_other_spellings_of_the_same_signature_are_not_fixed_up() -> None:
    # The last base64 character of the signature has two unused low bits: the four spellings
    # decode alike, but only the issued one is accepted.
    s = _settings()
    token = make_token(s, purpose=UNSUB, subscriber_id=7, list_id=2)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    accepted = []
    for c in alphabet:
        variant = token[:-1] + c
        try:
            read_token(s, variant, purpose=UNSUB)
        except InvalidTokenError:
            continue
        accepted.append(variant)
    assert accepted == [token]


def test_foreign_token_is_rejected() -> None:
    foreign = make_token(_settings(NEW_KEY), purpose=UNSUB, subscriber_id=7, list_id=2)
    with pytest.raises(InvalidTokenError):
        read_token(_settings(KEY), foreign, purpose=UNSUB)


def test_wrong_purpose_is_rejected_both_ways() -> None:
    s = _settings()
    unsub = make_token(s, purpose=UNSUB, subscriber_id=7, list_id=2)
    confirm = make_token(s, purpose=CONFIRM, subscriber_id=7, list_id=2)
    with pytest.raises(InvalidTokenError):
        read_token(s, unsub, purpose=CONFIRM)
    with pytest.raises(InvalidTokenError):
        read_token(s, confirm, purpose=UNSUB)


def test_old_key_still_verifies_after_rotation() -> None:
    before = _settings(KEY)
    old_link = make_token(before, purpose=UNSUB, subscriber_id=7, list_id=2, issue_id=9)
    rotated = _settings(NEW_KEY, old=[KEY])
    assert read_token(rotated, old_link, purpose=UNSUB) == TokenData(UNSUB, 7, 2, 9)
    # New tokens are signed with the new key only: they fail where only the old key is known.
    new_link = make_token(rotated, purpose=UNSUB, subscriber_id=7, list_id=2)
    assert read_token(rotated, new_link, purpose=UNSUB).subscriber_id == 7
    with pytest.raises(InvalidTokenError):
        read_token(before, new_link, purpose=UNSUB)
    # Once the old key is dropped from the list, its links stop working.
    with pytest.raises(InvalidTokenError):
        read_token(_settings(NEW_KEY), old_link, purpose=UNSUB)


def test_missing_or_weak_key_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="NEWSLETTER_SECRET_KEY is not set"):
        make_token(Settings(secret_key=""), purpose=UNSUB, subscriber_id=1, list_id=1)
    with pytest.raises(ConfigError, match="unsafe"):
        make_token(Settings(secret_key="short"), purpose=UNSUB, subscriber_id=1, list_id=1)

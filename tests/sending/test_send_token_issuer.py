"""The per-send token issuer gives exactly the tokens of make_token (no DB needed)."""

from __future__ import annotations

import datetime as dt

import pytest
from itsdangerous.encoding import base64_decode, bytes_to_int

from newsletter.settings import Settings
from newsletter.tokens import TokenIssuer, TokenPurpose, make_token, read_token


def _signed_at(token: str) -> dt.datetime:
    stamp = token.split(".")[1]
    return dt.datetime.fromtimestamp(bytes_to_int(base64_decode(stamp)), dt.UTC)


@pytest.mark.parametrize("old_keys", [[], ["an-older-key-0123456789-abcdefghijklmnop"]])
@pytest.mark.parametrize("purpose", list(TokenPurpose))
def test_issuer_tokens_equal_make_token(old_keys: list[str], purpose: TokenPurpose) -> None:
    settings = Settings(
        base_url="https://news.example.com",
        sender="news@example.com",
        secret_key="issuer-secret-key-0123456789-abcdefghijklmnop",
        old_secret_keys=old_keys,
    )
    issuer = TokenIssuer(settings, purpose=purpose)
    for subscriber_id, list_id, issue_id in [(1, 1, 7), (123456789, 2, None), (5, 99, 0)]:
        token = issuer.make(subscriber_id=subscriber_id, list_id=list_id, issue_id=issue_id)
        same = make_token(
            settings,
            purpose=purpose,
            subscriber_id=subscriber_id,
            list_id=list_id,
            issue_id=issue_id,
            now=_signed_at(token),
        )
        assert token == same
        data = read_token(settings, token, purpose=purpose)
        assert (data.subscriber_id, data.list_id, data.issue_id) == (
            subscriber_id,
            list_id,
            issue_id,
        )


def test_issuer_token_of_another_key_does_not_verify() -> None:
    ours, theirs = (
        Settings(
            base_url="https://news.example.com",
            sender="news@example.com",
            secret_key=f"key-{n}-0123456789-abcdefghijklmnopqrstuv",
        )
        for n in ("one", "two")
    )
    token = TokenIssuer(theirs, purpose=TokenPurpose.UNSUBSCRIBE).make(subscriber_id=1, list_id=1)
    with pytest.raises(Exception, match="not valid"):
        read_token(ours, token, purpose=TokenPurpose.UNSUBSCRIBE)

"""Signed tokens for the links in emails (unsubscribe, confirm), via itsdangerous.

A token carries only ids, never the address, and is signed (HMAC-SHA1 key derivation plus
HMAC signature, compared in constant time by itsdangerous) with NEWSLETTER_SECRET_KEY. The
purpose is the salt, so a confirm token never works as an unsubscribe token and vice versa.
Old keys (NEWSLETTER_OLD_SECRET_KEYS) still verify, so rotating the key keeps the unsubscribe
links of mail already in inboxes working. Unsubscribe tokens never expire; confirm tokens
expire after NEWSLETTER_CONFIRM_TOKEN_DAYS.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from newsletter.errors import NewsletterError
from newsletter.settings import Settings


class TokenPurpose(enum.StrEnum):
    """What a token may be used for."""

    UNSUBSCRIBE = "unsubscribe"
    CONFIRM = "confirm"


class InvalidTokenError(NewsletterError):
    """A token that is tampered, foreign, expired or of another purpose. Never "fixed up"."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True)
class TokenData:
    """What a verified token says."""

    purpose: TokenPurpose
    subscriber_id: int
    list_id: int
    issue_id: int | None = None


def _serializer(settings: Settings, purpose: TokenPurpose) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts every key of the list.
    keys = [*settings.old_secret_keys, settings.require_secret_key()]
    return URLSafeTimedSerializer(keys, salt=f"newsletter.{purpose.value}")


def make_token(
    settings: Settings,
    *,
    purpose: TokenPurpose,
    subscriber_id: int,
    list_id: int,
    issue_id: int | None = None,
) -> str:
    """A URL-safe signed token."""
    payload = [subscriber_id, list_id, issue_id]
    token = _serializer(settings, purpose).dumps(payload)
    assert isinstance(token, str)
    return token


def read_token(settings: Settings, token: str, *, purpose: TokenPurpose) -> TokenData:
    """Verify ``token`` for ``purpose``; raises :class:`InvalidTokenError` on any doubt."""
    max_age = settings.confirm_token_days * 86400 if purpose is TokenPurpose.CONFIRM else None
    try:
        payload = _serializer(settings, purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise InvalidTokenError("the link has expired", expired=True) from None
    except (BadData, ValueError, TypeError):
        raise InvalidTokenError("the link is not valid") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(v, int) for v in payload[:2])
        or not (payload[2] is None or isinstance(payload[2], int))
    ):
        raise InvalidTokenError("the link is not valid")
    return TokenData(purpose, payload[0], payload[1], payload[2])

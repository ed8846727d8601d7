"""Signed tokens for the links in emails (unsubscribe, confirm, preferences), via itsdangerous.

A token carries only ids, never the address, and is signed (HMAC-SHA1 key derivation plus
HMAC signature, compared in constant time by itsdangerous) with NEWSLETTER_SECRET_KEY. The
purpose is the salt, so a confirm token never works as an unsubscribe token and vice versa.
Old keys (NEWSLETTER_OLD_SECRET_KEYS) still verify, so rotating the key keeps the unsubscribe
links of mail already in inboxes working. Unsubscribe and preferences tokens never expire;
confirm tokens expire after NEWSLETTER_CONFIRM_TOKEN_DAYS (an expired one can still be read,
signature checked, to offer a new confirmation email: :func:`read_expired_confirm`).
"""

from __future__ import annotations

import datetime as dt
import enum
import hmac
import re
from dataclasses import dataclass

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from itsdangerous.signer import HMACAlgorithm, Signer

from newsletter.errors import NewsletterError
from newsletter.settings import Settings


class TokenPurpose(enum.StrEnum):
    """What a token may be used for."""

    UNSUBSCRIBE = "unsubscribe"
    CONFIRM = "confirm"
    #: The preference page of every email: the person's lists and language.
    PREFERENCES = "preferences"


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


#: payload.timestamp.signature, each unpadded URL-safe base64. Anything else is refused as is.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def _serializer(
    settings: Settings, purpose: TokenPurpose, now: dt.datetime | None = None
) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts every key of the list.
    keys = [*settings.old_secret_keys, settings.require_secret_key()]
    salt = f"newsletter.{purpose.value}"
    if now is None:
        return URLSafeTimedSerializer(keys, salt=salt)
    fixed = int(now.timestamp())

    class _Signer(TimestampSigner):
        # Signs and checks the age against ``now`` instead of the clock.
        def get_timestamp(self) -> int:
            return fixed

    return URLSafeTimedSerializer(keys, salt=salt, signer=_Signer)


def _is_canonical(token: str) -> bool:
    """True if ``token`` is exactly as it was issued.

    base64 decoding is lenient (padding, and the unused low bits of the last character), so
    several spellings decode to the same signature: only the one we issued is accepted.
    """
    if _TOKEN_SHAPE.fullmatch(token) is None:
        return False
    signature = token.rsplit(".", 1)[1]
    try:
        return base64_encode(base64_decode(signature)).decode("ascii") == signature
    except BadData:
        return False


def make_token(
    settings: Settings,
    *,
    purpose: TokenPurpose,
    subscriber_id: int,
    list_id: int,
    issue_id: int | None = None,
    now: dt.datetime | None = None,
) -> str:
    """A URL-safe signed token (``now``: the issue time, for tests; default the clock)."""
    payload = [subscriber_id, list_id, issue_id]
    token = _serializer(settings, purpose, now).dumps(payload)
    assert isinstance(token, str)
    return token


class _Sha1Hmac(HMACAlgorithm):
    """itsdangerous' default HMAC-SHA1, through :func:`hmac.digest` (same bytes, C fast path)."""

    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, "sha1")


class _DerivedOnceSigner(TimestampSigner):
    """A :class:`TimestampSigner` that derives the signing key once, not on every call."""

    _signing_key: bytes | None = None

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        if secret_key is not None:
            return super().derive_key(secret_key)
        if self._signing_key is None:
            self._signing_key = super().derive_key()
        return self._signing_key


class _SignerOnceSerializer(URLSafeTimedSerializer):
    """Builds its signer for its own salt once (itsdangerous builds one per call)."""

    _own_signer: Signer | None = None

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        if salt is not None:
            return super().make_signer(salt)
        if self._own_signer is None:
            self._own_signer = super().make_signer()
        return self._own_signer


class TokenIssuer:
    """Issues tokens of one purpose, exactly as :func:`make_token` does, for a whole send.

    The serializer, its signer and the derived signing key are made once (itsdangerous
    re-derives the key on every call, which is most of the cost of a token). Thread-safe:
    nothing is modified after construction.
    """

    def __init__(self, settings: Settings, *, purpose: TokenPurpose) -> None:
        keys = [*settings.old_secret_keys, settings.require_secret_key()]
        self._serializer = _SignerOnceSerializer(
            keys,
            salt=f"newsletter.{purpose.value}",
            signer=_DerivedOnceSigner,
            signer_kwargs={"algorithm": _Sha1Hmac()},
        )
        # Made here, before any worker thread uses it.
        self._serializer.make_signer().derive_key()

    def make(self, *, subscriber_id: int, list_id: int, issue_id: int | None = None) -> str:
        """A token for these ids, signed now (the same as :func:`make_token` would give)."""
        token = self._serializer.dumps([subscriber_id, list_id, issue_id])
        assert isinstance(token, str)
        return token


def read_token(
    settings: Settings, token: str, *, purpose: TokenPurpose, now: dt.datetime | None = None
) -> TokenData:
    """Verify ``token`` for ``purpose``; raises :class:`InvalidTokenError` on any doubt.

    ``now`` (for tests) is the time the age of a confirm token is measured at.
    """
    max_age = settings.confirm_token_days * 86400 if purpose is TokenPurpose.CONFIRM else None
    if not _is_canonical(token):
        raise InvalidTokenError("the link is not valid")
    try:
        payload = _serializer(settings, purpose, now).loads(token, max_age=max_age)
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


def read_expired_confirm(settings: Settings, token: str) -> TokenData:
    """The ids of a confirm token whose signature is ours, however old it is.

    Only for offering a new confirmation email after the link expired: it never confirms
    anything. Raises :class:`InvalidTokenError` for anything but a genuine confirm token.
    """
    if not _is_canonical(token):
        raise InvalidTokenError("the link is not valid")
    try:
        payload = _serializer(settings, TokenPurpose.CONFIRM).loads(token, max_age=None)
    except (BadData, ValueError, TypeError):
        raise InvalidTokenError("the link is not valid") from None
    if (
        not isinstance(payload, list)
        or len(payload) != 3
        or not all(isinstance(v, int) for v in payload[:2])
    ):
        raise InvalidTokenError("the link is not valid")
    return TokenData(TokenPurpose.CONFIRM, payload[0], payload[1], None)

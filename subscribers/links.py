"""Reading the token of a personal link from the path; any doubt gives None (a 400 page)."""

from __future__ import annotations

import logging

from starlette.requests import Request

from newsletter.errors import ConfigError
from newsletter.tokens import (
    InvalidTokenError,
    TokenData,
    TokenPurpose,
    read_expired_confirm,
    read_token,
)
from subscribers.services import services

log = logging.getLogger(__name__)

#: Longer paths are refused before any decoding (a token is well under 200 characters).
MAX_TOKEN_LENGTH = 512


def path_token(request: Request, purpose: TokenPurpose) -> TokenData | None:
    """The verified token of ``request``'s ``{token}`` path part, or None."""
    token = request.path_params.get("token", "")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        return read_token(services(request).settings, token, purpose=purpose)
    except InvalidTokenError as exc:
        log.info("refused a %s link: %s", purpose.value, exc)
        return None
    except ConfigError:
        log.exception("cannot verify links: the secret key is not configured")
        raise


def expired_confirm_token(request: Request) -> TokenData | None:
    """The ids of ``request``'s confirm token when it is ours but expired, else None.

    Only to offer a new confirmation email: it confirms nothing.
    """
    token = request.path_params.get("token", "")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    settings = services(request).settings
    try:
        read_token(settings, token, purpose=TokenPurpose.CONFIRM)
    except InvalidTokenError as exc:
        if not exc.expired:
            return None
    else:
        return None  # a valid token is not an expired one
    try:
        return read_expired_confirm(settings, token)
    except InvalidTokenError:
        return None

"""How a failed send is classified: what the sender must do about it.

Every transport raises exactly one of these three, never a library's own exception:

* :class:`TransientError`: try the same message again later (throttling, 5xx, connection
  errors), with backoff and jitter; after too many attempts the message is deferred.
* :class:`PermanentError`: this recipient's message is refused; fail that one, go on.
* :class:`AccountError`: nothing else can be sent (paused or suspended account, unverified
  sender, daily quota used up, bad credentials): stop the whole send and keep the state.
"""

from __future__ import annotations

from newsletter.errors import NewsletterError


class TransportError(NewsletterError):
    """A message could not be handed over; ``str(err)`` says why in one line."""


class TransientError(TransportError):
    """Worth retrying: the same message may well be accepted a little later."""

    def __init__(self, message: str, *, throttled: bool = False) -> None:
        super().__init__(message)
        #: True when the provider said we are over its sending rate.
        self.throttled = throttled


class PermanentError(TransportError):
    """This recipient's message is refused; retrying it would fail again."""


class AccountError(TransportError):
    """The account or the configuration refuses every message: stop sending."""

    def __init__(self, message: str, *, daily_quota: bool = False) -> None:
        super().__init__(message)
        #: True when the 24-hour sending quota is used up (the send can go on later).
        self.daily_quota = daily_quota

"""Sending one message outside a mailing (test copies, confirmations), with retries."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from newsletter.sending.worker.backoff import Backoff
from newsletter.transport import OutgoingMessage, TransientError, Transport

ATTEMPTS = 4


def deliver_one(
    transport: Transport,
    message: OutgoingMessage,
    *,
    attempts: int = ATTEMPTS,
    backoff: Backoff | None = None,
    sleep: Callable[[float], object] | None = None,
) -> str:
    """Send ``message``, retrying transient errors with backoff; returns the message id.

    After the last attempt the :class:`TransientError` is raised; permanent and account
    errors are raised at once.
    """
    policy = backoff or Backoff()
    pause = sleep or time.sleep
    rng = random.Random()  # noqa: S311 (jitter, not secrets)
    for attempt in range(1, attempts + 1):
        try:
            return transport.send(message)
        except TransientError as exc:
            if attempt == attempts:
                raise
            pause(policy.delay(attempt, throttled=exc.throttled, rng=rng))
    raise AssertionError("unreachable")

"""The delivery pipeline: every mailable subscriber gets the issue exactly once.

Entry points: :func:`send_issue`, :func:`retry_issue`, :func:`send_status`,
:func:`send_test` (the double opt-in email is :mod:`newsletter.optin`'s). The pieces: a
rate limiter shared by the workers (:mod:`.ratelimit`), the deliveries ledger
(:mod:`.ledger`) written by one group-committing thread (:mod:`.writer`), keyset recipient
batches (:mod:`.recipients`), the run lock (:mod:`.lock`) and the worker pool (:mod:`.pool`).
"""

from newsletter.sending.backoff import Backoff
from newsletter.sending.control import Snapshot, StopKind, StopSignal
from newsletter.sending.lock import SendLockedError
from newsletter.sending.report import (
    ProgressCallback,
    RatePlan,
    SendReport,
    Tuning,
    UncertainPolicy,
)
from newsletter.sending.run import retry_issue, send_issue
from newsletter.sending.status import SendStatus, send_status
from newsletter.sending.testsend import TestCopy, send_test

__all__ = [
    "Backoff",
    "ProgressCallback",
    "RatePlan",
    "SendLockedError",
    "SendReport",
    "SendStatus",
    "Snapshot",
    "StopKind",
    "StopSignal",
    "TestCopy",
    "Tuning",
    "UncertainPolicy",
    "retry_issue",
    "send_issue",
    "send_status",
    "send_test",
]

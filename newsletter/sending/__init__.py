"""The delivery pipeline: every mailable subscriber gets the issue exactly once.

Entry points: :func:`send_issue`, :func:`retry_issue`, :func:`join_send` (one more worker),
:func:`send_status`, :func:`send_test` (the double opt-in email is :mod:`newsletter.optin`'s).
The pieces: the deliveries ledger (:mod:`.ledger`, the one owner of every row transition),
compiled for the per-message path (:mod:`.driver`) and written by one group-committing
thread per worker (:mod:`.writer`); the run lock (:mod:`.lock`); slices of the run's rows
(:mod:`.slices`); workers (:mod:`.worker`, local processes: :mod:`.local`) with their
shares of the run's rate (:mod:`.shares`, :mod:`.ratelimit`); the send threads
(:mod:`.pool`); and the SQS fan-out on AWS (:mod:`.fanout`).
"""

from newsletter.sending.options import SendOptions, Tuning, UncertainPolicy
from newsletter.sending.report import ProgressCallback, RatePlan, SendReport
from newsletter.sending.run import join_send, retry_issue, send_issue
from newsletter.sending.runs import SendLockedError
from newsletter.sending.status import SendStatus, send_status
from newsletter.sending.testsend import TestCopy, send_test
from newsletter.sending.worker.backoff import Backoff
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Snapshot

__all__ = [
    "Backoff",
    "ProgressCallback",
    "RatePlan",
    "SendLockedError",
    "SendOptions",
    "SendReport",
    "SendStatus",
    "Snapshot",
    "StopKind",
    "StopSignal",
    "TestCopy",
    "Tuning",
    "UncertainPolicy",
    "join_send",
    "retry_issue",
    "send_issue",
    "send_status",
    "send_test",
]

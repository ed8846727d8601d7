"""Feedback from the mail service: the stage after the send.

- :mod:`~newsletter.feedback.sns`: SNS message verification (nothing is trusted before it);
- :mod:`~newsletter.feedback.events`: SES event JSON parsed into one :class:`SesEvent`;
- :mod:`~newsletter.feedback.apply`: each event recorded once in ``delivery_events`` and
  acted on; :func:`receive_notification` is what the web service and the Lambda call;
- :mod:`~newsletter.feedback.suppression`: bounces and complaints as audience transitions;
- :mod:`~newsletter.feedback.tracking`: per-list open and click tracking;
- :mod:`~newsletter.feedback.rates`: bounce and complaint rates as SES counts them;
- :mod:`~newsletter.feedback.guard`: the complaint and bounce rates a send must be under.
"""

from newsletter.feedback.apply import (
    FeedbackResult,
    apply_event,
    apply_notification,
    receive_notification,
)
from newsletter.feedback.events import SesEvent, parse_event
from newsletter.feedback.sns import (
    SnsMessage,
    SnsVerificationError,
    SnsVerifier,
    parse_body,
    payload_from_lambda_record,
)
from newsletter.feedback.suppression import record_bounce, record_complaint

__all__ = [
    "FeedbackResult",
    "SesEvent",
    "SnsMessage",
    "SnsVerificationError",
    "SnsVerifier",
    "apply_event",
    "apply_notification",
    "parse_body",
    "parse_event",
    "payload_from_lambda_record",
    "receive_notification",
    "record_bounce",
    "record_complaint",
]

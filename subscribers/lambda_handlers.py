"""AWS Lambda entry points of the subscriber web service, named in ``serverless.yml``.

- :func:`web`: the subscriber web service behind the HTTP API (Mangum adapts the ASGI app).
  The app is built on the first request of a container and reused by the next ones.
- :func:`sns`: SES events, delivered by SNS straight to Lambda. SNS invokes the function
  itself (its resource policy admits only the topic); each record is still verified like a
  POST to the HTTP endpoint (signature, certificate origin, topic) and applied by the same
  function, :func:`newsletter.feedback.receive_notification`.

The scheduled job and the send workers have a front end of their own:
:mod:`newsletter.aws.handlers`.

Nothing is built at import; the settings are read (environment plus SSM) inside each call.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from mangum import Mangum

from newsletter import db
from newsletter.aws.settings import lambda_settings
from newsletter.feedback import (
    SnsVerificationError,
    SnsVerifier,
    payload_from_lambda_record,
    receive_notification,
)
from newsletter.feedback.apply import IGNORED
from subscribers.app import create_app

log = logging.getLogger(__name__)


_web_lock = threading.Lock()
_web_adapter: list[Mangum] = []  # the container's adapter, built on first use


def web(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """API Gateway HTTP API (payload 2.0) event → the ASGI app → the HTTP response."""
    with _web_lock:
        if not _web_adapter:
            _web_adapter.append(Mangum(create_app(lambda_settings()), lifespan="off"))
        adapter = _web_adapter[0]
    response: dict[str, Any] = adapter(event, context)
    return response


_sns_lock = threading.Lock()
_sns_verifier: list[SnsVerifier] = []  # the container's verifier (its certificate cache)


def sns(event: dict[str, Any], context: Any) -> dict[str, int]:
    """SNS records → each verified, then applied as an SES event; returns counts (for the logs).

    Each record's signature is verified exactly as on the HTTP endpoint (the Lambda record is
    the same signed message, with two fields spelled differently), so a record that did not
    come from an accepted SNS topic changes nothing even if something else invokes us.
    """
    settings = lambda_settings()
    with _sns_lock:
        if not _sns_verifier:
            _sns_verifier.append(SnsVerifier(settings.sns_topic_arns))
        verifier = _sns_verifier[0]
    engine = db.make_engine(settings.database_url, pool_size=1)
    counts = {"records": 0, "ignored": 0, "changed": 0, "recorded": 0, "unknown": 0}
    try:
        for record in event.get("Records", []):
            counts["records"] += 1
            try:
                message = verifier.verify(payload_from_lambda_record(record))
            except SnsVerificationError as exc:
                log.warning("SNS record refused: %s", exc)
                counts["ignored"] += 1
                continue
            if message.type != "Notification":
                counts["ignored"] += 1
                continue
            result = receive_notification(engine, message, soft_limit=settings.soft_bounce_limit)
            counts["changed"] += result.changed
            counts["recorded"] += int(result.recorded)
            counts["unknown"] += int(result.recorded and result.unknown)
            if result.kind == IGNORED:
                counts["ignored"] += 1
    finally:
        engine.dispose()
    return counts

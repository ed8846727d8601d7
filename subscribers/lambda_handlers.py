"""AWS Lambda entry points named in ``serverless.yml``.

- :func:`web`: the subscriber web service behind the HTTP API (Mangum adapts the ASGI app).
  The app is built on the first request of a container and reused by the next ones.
- :func:`sns`: SES bounce and complaint notifications, delivered by SNS straight to Lambda.
  Here SNS invokes the function itself (its resource policy admits only the topic), so there
  is no signature to check as on the HTTP endpoint; the topic allowlist still applies.
- :func:`daily`: the scheduled daily job (import, compose, render, send).

Nothing is built at import; the settings are read (environment plus SSM) inside each call.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from mangum import Mangum

from newsletter import db
from newsletter.errors import InputError
from newsletter.ses_feedback import apply_notification
from subscribers.app import create_app
from subscribers.aws_settings import lambda_settings

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


def sns(event: dict[str, Any], context: Any) -> dict[str, int]:
    """SNS records → bounces and complaints applied; returns counts (for the logs)."""
    settings = lambda_settings()
    engine = db.make_engine(settings.database_url, pool_size=1)
    counts = {"records": 0, "ignored": 0, "changed": 0}
    try:
        for record in event.get("Records", []):
            counts["records"] += 1
            message = record.get("Sns") if isinstance(record, dict) else None
            if not isinstance(message, dict) or message.get("Type") != "Notification":
                counts["ignored"] += 1
                continue
            topic = message.get("TopicArn")
            if topic not in settings.sns_topic_arns:
                log.warning("SNS record from topic %r ignored: not an accepted topic", topic)
                counts["ignored"] += 1
                continue
            try:
                with db.transaction(engine) as session:
                    result = apply_notification(
                        session,
                        message=str(message.get("Message", "")),
                        soft_limit=settings.soft_bounce_limit,
                        reference=str(message.get("MessageId", "")),
                    )
            except InputError as exc:  # not an SES notification: a retry would not help
                log.warning("SNS record %s ignored: %s", message.get("MessageId"), exc)
                counts["ignored"] += 1
                continue
            counts["changed"] += result.changed
            if result.kind == "ignored":
                counts["ignored"] += 1
    finally:
        engine.dispose()
    return counts


def daily(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The EventBridge schedule → the day's issue imported, composed, rendered and sent."""
    from newsletter.daily import run_daily  # the job's modules load only where it runs

    settings = lambda_settings()
    result = run_daily(settings)
    log.info("daily job: %s", result)
    return {"result": str(result)}

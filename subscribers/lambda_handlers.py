"""AWS Lambda entry points named in ``serverless.yml``.

- :func:`web`: the subscriber web service behind the HTTP API (Mangum adapts the ASGI app).
  The app is built on the first request of a container and reused by the next ones.
- :func:`sns`: SES bounce and complaint notifications, delivered by SNS straight to Lambda.
  Here SNS invokes the function itself (its resource policy admits only the topic), so there
  is no signature to check as on the HTTP endpoint; the topic allowlist still applies.
- :func:`daily`: the scheduled daily job (import, compose, render); its send is planned
  and fanned out through SQS, one message per slice of the recipients.
- :func:`send_worker`: the SQS event source's consumer: sends the slices of its records at
  its share of the run's rate and reports the unfinished ones as batch item failures.

Nothing is built at import; the settings are read (environment plus SSM) inside each call.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from mangum import Mangum

from newsletter import db
from newsletter.errors import InputError
from newsletter.sending import StopKind, StopSignal
from newsletter.ses_feedback import apply_notification
from subscribers.app import create_app
from subscribers.aws_settings import lambda_settings

log = logging.getLogger(__name__)

#: Stop sending this long before the Lambda time limit, so that the run ends cleanly.
TIME_MARGIN_SECONDS = 60.0
DEADLINE_REASON = "the Lambda time limit is near"


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
    """The EventBridge schedule → the day's issue imported, composed, rendered, fanned out.

    A manual invocation may name the day and the digest to import: ``{"date": "2025-08-14",
    "digest": "https://..."}`` (not ``source``: EventBridge sets that to ``aws.events``).
    With ``NEWSLETTER_SEND_QUEUE_URL`` set (the stack sets it), the send is planned here and
    put on the queue in slices for :func:`send_worker`; without it, it is sent here and stops
    cleanly :data:`TIME_MARGIN_SECONDS` before the time limit (the next run resumes it).
    """
    from newsletter.daily import run_daily  # the job's modules load only where it runs

    settings = lambda_settings()
    date = _event_date(event)
    source = event.get("digest") if isinstance(event.get("digest"), str) else None
    stop = StopSignal()
    timer = _deadline_timer(context, stop)
    try:
        result = run_daily(settings, date=date, source=source or None, stop=stop)
    finally:
        if timer is not None:
            timer.cancel()
    report = result.as_dict()
    log.info("daily job: %s", report)
    return report


def send_worker(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """SQS records (one slice each) → sent; ``batchItemFailures`` names the unfinished ones.

    SQS delivers those again (after the visibility timeout), and moves a slice that keeps
    failing to the dead-letter queue. Redelivered slices send nothing twice.
    """
    from newsletter.sending.fanout import handle_records
    from newsletter.transport import make_transport

    settings = lambda_settings()
    engine = db.make_engine(settings.database_url, pool_size=2)
    transport = make_transport(settings, concurrency=settings.send_concurrency)
    stop = StopSignal()
    timer = _deadline_timer(context, stop)
    try:
        return handle_records(
            engine, settings, transport, records=event.get("Records", []), stop=stop
        )
    finally:
        if timer is not None:
            timer.cancel()
        transport.close()
        engine.dispose()


def _event_date(event: dict[str, Any]) -> dt.date | None:
    raw = event.get("date")
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise InputError(f"event: date must be YYYY-MM-DD, got {raw!r}") from None


def _deadline_timer(context: Any, stop: StopSignal) -> threading.Timer | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    seconds = remaining() / 1000 - TIME_MARGIN_SECONDS
    if seconds <= 0:  # already inside the margin: no message may start
        stop.stop(StopKind.INTERRUPTED, DEADLINE_REASON)
        return None
    timer = threading.Timer(seconds, stop.stop, args=(StopKind.INTERRUPTED, DEADLINE_REASON))
    timer.daemon = True
    timer.start()
    return timer

"""AWS Lambda entry points named in ``serverless.yml``.

- :func:`web`: the subscriber web service behind the HTTP API (Mangum adapts the ASGI app).
  The app is built on the first request of a container and reused by the next ones.
- :func:`sns`: SES events, delivered by SNS straight to Lambda. SNS invokes the function
  itself (its resource policy admits only the topic); each record is still verified like a
  POST to the HTTP endpoint (signature, certificate origin, topic) and applied by the same
  function, :func:`newsletter.feedback.receive_notification`.
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
from newsletter.feedback import (
    SnsVerificationError,
    SnsVerifier,
    payload_from_lambda_record,
    receive_notification,
)
from newsletter.feedback.apply import IGNORED
from newsletter.sending import StopKind, StopSignal
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


def daily(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The schedule → every edition whose send time has come: its day imported, composed,
    rendered, fanned out (or sent here), each on its own local date.

    The schedule may run every few minutes: an edition is sent once its local send time has
    come, and a day already out is not sent again. A manual invocation may name the edition,
    the day and the digest: ``{"edition": "en", "date": "2025-08-14", "digest": "https://..."}``
    (not ``source``: EventBridge sets that to ``aws.events``). With
    ``NEWSLETTER_SEND_QUEUE_URL`` set (the stack sets it), each send is planned here and put
    on the queue in slices for :func:`send_worker` (a slice names its run, the run its issue
    and so its edition); without it, it is sent here and stops cleanly
    :data:`TIME_MARGIN_SECONDS` before the time limit (the next run resumes it).
    """
    from newsletter.daily import run_daily, run_due  # the job's modules load only here

    settings = lambda_settings()
    date = _event_date(event)
    source = event.get("digest") if isinstance(event.get("digest"), str) else None
    edition = event.get("edition") if isinstance(event.get("edition"), str) else None
    force = event.get("force") is True
    stop = StopSignal()
    timer = _deadline_timer(context, stop)
    engine = db.make_engine(settings.database_url, pool_size=1)
    try:
        if date is None and source is None and edition is None:
            report = run_due(settings, engine=engine, force=force, stop=stop).as_dict()
        else:
            one = run_daily(
                settings,
                engine=engine,
                date=date,
                source=source or None,
                edition=edition,
                force=force,
                stop=stop,
            )
            report = {"ok": one.ok, "editions": [one.as_dict()]}
    finally:
        if timer is not None:
            timer.cancel()
        engine.dispose()
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

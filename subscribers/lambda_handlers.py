"""AWS Lambda entry points named in ``serverless.yml``.

- :func:`web`: the subscriber web service behind the HTTP API (Mangum adapts the ASGI app).
  The app is built on the first request of a container and reused by the next ones.
- :func:`sns`: SES events, delivered by SNS straight to Lambda. SNS invokes the function
  itself (its resource policy admits only the topic); each record is still verified like a
  POST to the HTTP endpoint (signature, certificate origin, topic) and applied by the same
  function, :func:`newsletter.feedback.receive_notification`.
- :func:`daily`: the scheduled daily job (import, compose, render, send).

Nothing is built at import; the settings are read (environment plus SSM) inside each call.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import boto3
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
from newsletter.feedback.presend import before_send
from newsletter.sending import StopKind, StopSignal
from newsletter.settings import Settings
from subscribers.app import create_app
from subscribers.aws_settings import lambda_settings

log = logging.getLogger(__name__)

#: Stop sending this long before the Lambda time limit, so that the run ends cleanly.
TIME_MARGIN_SECONDS = 60.0
#: Self-invocations allowed for one day (a bound, should a send never finish).
MAX_CONTINUATIONS = 24
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
    """The EventBridge schedule → the day's issue imported, composed, rendered and sent.

    A manual invocation may name the day and the digest to import: ``{"date": "2025-08-14",
    "digest": "https://..."}`` (not ``source``: EventBridge sets that to ``aws.events``).
    The send stops cleanly :data:`TIME_MARGIN_SECONDS` before the Lambda time limit; the
    function then invokes itself again (asynchronously, for the same day, at most
    :data:`MAX_CONTINUATIONS` times) and the next run resumes from the deliveries ledger, so
    a list too large for one invocation is still sent exactly once.
    """
    return run_daily_event(event, context, invoke=_invoke_async)


def run_daily_event(
    event: dict[str, Any],
    context: Any,
    *,
    invoke: Callable[[str, dict[str, Any]], None],
) -> dict[str, Any]:
    """:func:`daily` with the self-invocation passed in; returns the job's report."""
    from newsletter.daily import run_daily  # the job's modules load only where it runs

    settings = lambda_settings()
    date = _event_date(event)
    source = event.get("digest") if isinstance(event.get("digest"), str) else None
    continuation = int(event.get("continuation", 0) or 0)
    settings = _feedback_before_send(
        settings, date=date, force=event.get("force") is True, continuation=continuation
    )
    stop = StopSignal()
    timer = _deadline_timer(context, stop)
    try:
        result = run_daily(settings, date=date, source=source or None, stop=stop)
    finally:
        if timer is not None:
            timer.cancel()
    report = result.as_dict()
    out_of_time = stop.is_set and stop.reason == DEADLINE_REASON
    if out_of_time and result.send is not None and result.send.stopped:
        if continuation >= MAX_CONTINUATIONS:
            log.error("daily job for %s: %d continuations and not done", result.date, continuation)
        else:
            invoke(
                context.invoked_function_arn,
                {"date": result.date.isoformat(), "continuation": continuation + 1},
            )
            report["continued"] = True
    log.info("daily job: %s", report)
    return report


def _feedback_before_send(
    settings: Settings, *, date: dt.date | None, force: bool, continuation: int
) -> Settings:
    # The rate guard (not for a continuation: that send has started) and the list's
    # tracking configuration set, as for `newsletter daily`.
    engine = db.make_engine(settings.database_url, pool_size=1)
    try:
        return before_send(
            engine,
            settings,
            list_name=None,
            issue_date=date,
            force=force,
            guard=continuation == 0,
        )
    finally:
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


def _invoke_async(function_arn: str, payload: dict[str, Any]) -> None:
    boto3.client("lambda").invoke(
        FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(payload).encode()
    )

"""AWS Lambda entry points of the scheduled job and the send workers, named in
``serverless.yml`` (the subscriber web service's own are in ``subscribers``).

- :func:`daily`: the schedule: every edition whose send time has come (import, compose,
  render); each send is planned and fanned out through SQS, one message per slice.
- :func:`send_worker`: the SQS event source's consumer: sends the slices of its records at
  its share of the run's rate, as the run's planner decided, and reports the unfinished ones
  as batch item failures.

Like the CLI, an adapter: it parses the event, calls the core, and returns what it did.
Nothing is built at import; the settings are read (environment plus SSM) inside each call.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from newsletter import db
from newsletter.aws.settings import lambda_settings
from newsletter.errors import InputError
from newsletter.sending import StopKind, StopSignal

log = logging.getLogger(__name__)

#: Stop sending this long before the Lambda time limit, so that the run ends cleanly.
TIME_MARGIN_SECONDS = 60.0
DEADLINE_REASON = "the Lambda time limit is near"


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

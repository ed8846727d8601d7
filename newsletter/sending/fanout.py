"""The send fanned out through SQS (AWS): the daily function plans, worker functions send.

The daily function plans the run (:func:`fan_out`): the ledger rows, the slices, one SQS
message per slice. The worker function receives them through an SQS event source whose
``MaximumConcurrency`` bounds the workers; each invocation works the slices of its records
(:func:`handle_records`) at its share of the run's rate, and reports the slices it could
not finish as batch item failures (``ReportBatchItemFailures``): SQS delivers those again,
and after ``maxReceiveCount`` deliveries moves them to the dead-letter queue, which
`send status` shows. A redelivered slice sends nothing twice: its sent rows are not queued
any more, and a slice finished before is answered at once.

A slice holds ``rate / MaximumConcurrency * send_slice_seconds`` rows, so that one worker
at its share finishes it in ``send_slice_seconds`` (300 s by default), well inside
Lambda's 15 minutes.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from newsletter.errors import StateError
from newsletter.sending.options import SendOptions, Tuning
from newsletter.sending.report import SendReport
from newsletter.sending.run import close_if_complete, plan_send
from newsletter.sending.runs import Taken, list_slices, running_run, slice_exists
from newsletter.sending.worker.stop import StopSignal
from newsletter.sending.worker.work import work
from newsletter.settings import Settings
from newsletter.transport import Transport

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient

log = logging.getLogger(__name__)

#: Rows of a slice when the run has no rate limit.
UNLIMITED_SLICE_ROWS = 20_000
#: SQS takes at most 10 messages per SendMessageBatch.
SQS_BATCH = 10


def slice_rows(rate: float | None, *, workers: int, seconds: float) -> int:
    """Rows one worker sends in ``seconds`` at its share of ``rate`` (at least 1)."""
    if rate is None:
        return UNLIMITED_SLICE_ROWS
    return max(1, math.floor(rate / workers * seconds))


def sqs_client(settings: Settings) -> SQSClient:
    """An SQS client for the settings' region (and local endpoint, if any)."""
    import boto3

    return boto3.client(
        "sqs",
        region_name=settings.ses_region,
        endpoint_url=settings.sqs_endpoint_url or None,
    )


def fan_out(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    options: SendOptions,
    sqs: SQSClient,
) -> SendReport:
    """Plan the send and put one message per slice on ``settings.send_queue_url``."""
    if not settings.send_queue_url:
        raise StateError("NEWSLETTER_SEND_QUEUE_URL is not set: there is no queue to fan out to")
    report, run = plan_send(
        engine,
        settings,
        transport,
        options=options,
        rows_per_slice=lambda rate: slice_rows(
            rate, workers=settings.send_worker_concurrency, seconds=settings.send_slice_seconds
        ),
    )
    bodies = [
        json.dumps({"run": run.run_id, "slice": s.id, "date": run.issue_date})
        for s in list_slices(engine, run_id=run.run_id)
    ]
    for start in range(0, len(bodies), SQS_BATCH):
        chunk = bodies[start : start + SQS_BATCH]
        answer = sqs.send_message_batch(
            QueueUrl=settings.send_queue_url,
            Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)],
        )
        if answer.get("Failed"):
            # The run is planned: the next daily run resumes it (send issue takes it over).
            raise StateError(f"SQS refused slice messages: {answer['Failed'][0]}")
    report.workers = settings.send_worker_concurrency
    log.info(
        "send of %s fanned out: %d slices, %d to send", report.date, len(bodies), report.to_send
    )
    return report


@dataclass(frozen=True)
class SliceMessage:
    """The body of one slice message."""

    run_id: int
    slice_id: int


def _parse(body: str) -> SliceMessage:
    data = json.loads(body)
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return SliceMessage(int(data["run"]), int(data["slice"]))


def handle_records(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    records: Sequence[Mapping[str, Any]],
    stop: StopSignal,
    tuning: Tuning | None = None,
) -> dict[str, list[dict[str, str]]]:
    """Work the slices of an SQS batch; the answer names the messages to deliver again.

    A slice counts as handled when it is done now or was done before (a redelivery), or
    when its run is no longer running (a later run made its own slices). Anything else (a
    stop part-way, a slice a live worker holds, a malformed body or one naming no slice of
    the run, an error) is a batch item failure.
    """
    failures: list[dict[str, str]] = []
    for record in records:
        message_id = str(record.get("messageId", ""))
        if stop.is_set:
            failures.append({"itemIdentifier": message_id})
            continue
        try:
            handled = _handle_one(
                engine,
                settings,
                transport,
                body=str(record.get("body", "")),
                stop=stop,
                tuning=tuning or Tuning(),
            )
        except Exception:
            log.exception("slice message %s failed", message_id)
            handled = False
        if not handled:
            failures.append({"itemIdentifier": message_id})
    return {"batchItemFailures": failures}


def _handle_one(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    body: str,
    stop: StopSignal,
    tuning: Tuning,
) -> bool:
    try:
        message = _parse(body)
    except (ValueError, KeyError, TypeError):
        log.error("slice message is not {run, slice}: %.200r", body)
        return False
    if not slice_exists(engine, run_id=message.run_id, slice_id=message.slice_id):
        log.error("run %d has no slice %d", message.run_id, message.slice_id)
        return False
    try:
        run = running_run(engine, run_id=message.run_id)
    except StateError:
        log.info("run %d is not running: slice %d ignored", message.run_id, message.slice_id)
        return True
    result = work(
        engine,
        settings,
        transport,
        run=run,
        concurrency=settings.send_concurrency,
        tuning=tuning,
        stop=stop,
        slice_id=message.slice_id,
    )
    answer = result.slice_answer
    if answer == Taken.DONE.value:
        return True
    if answer != Taken.YES.value or result.slices_done != 1:
        log.warning(
            "slice %d of run %d not finished (%s%s)",
            message.slice_id,
            message.run_id,
            answer,
            f": {result.stop_reason}" if result.stop_reason else "",
        )
        return False
    close_if_complete(engine, run=run)
    return True


def dead_letter_counter(settings: Settings) -> Callable[[], int] | None:
    """A function counting the messages in the dead-letter queue, if one is configured."""
    url = settings.send_dead_letter_queue_url
    if not url:
        return None

    def count() -> int:
        attrs = sqs_client(settings).get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attrs.get("ApproximateNumberOfMessages", 0)) + int(
            attrs.get("ApproximateNumberOfMessagesNotVisible", 0)
        )

    return count

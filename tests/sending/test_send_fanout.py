"""The send fanned out through SQS, against moto's SQS over HTTP, through the Lambda handlers.

The daily handler plans the send and puts its slices on the queue; the real messages are
received and handed to the worker handler as Lambda's event source would; one is delivered
again and sends nothing; a slice that keeps failing reaches the dead-letter queue, which
`send status` shows.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from typer.testing import CliRunner

from newsletter.aws import handlers as aws_handlers
from newsletter.cli import app
from newsletter.models import DeliveryState, IssueStatus
from newsletter.sending.fanout import slice_rows
from newsletter.settings import Settings
from tests.support.mail import parse
from tests.support.sending import DATE, Ses, World
from tests.support.sqs import make_queues, receive_records


def _outbox(settings: Settings) -> Counter[str]:
    return Counter(
        parse(p.read_bytes())["To"].addresses[0].addr_spec
        for p in settings.file_outbox.glob("*.eml")
    )


def test_slices_are_sized_for_the_worker_share_and_the_time() -> None:
    # 1,000/s over 10 workers for 300 s: 30,000 rows a slice, 5 minutes at 100/s each.
    assert slice_rows(1000.0, workers=10, seconds=300) == 30_000
    assert slice_rows(14.0, workers=10, seconds=300) == 420
    assert slice_rows(0.5, workers=10, seconds=1) == 1


def test_daily_fans_out_workers_send_once_and_a_failing_slice_reaches_the_dlq(
    world: World,
    ses: Ses,
    cli_env: Settings,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = world.add(23)
    sqs, queue, dlq = make_queues(ses.endpoint)
    for key, value in {
        "NEWSLETTER_SEND_QUEUE_URL": queue,
        "NEWSLETTER_SEND_DEAD_LETTER_QUEUE_URL": dlq,
        "NEWSLETTER_SQS_ENDPOINT_URL": ses.endpoint,
        "NEWSLETTER_SEND_WORKER_CONCURRENCY": "2",
        "NEWSLETTER_SEND_SLICE_SECONDS": "1",
        "NEWSLETTER_SEND_RATE": "10",
    }.items():
        monkeypatch.setenv(key, value)
    settings = cli_env

    planned = aws_handlers.daily({"date": DATE.isoformat()}, None)
    send = planned["editions"][0]["send"]
    assert send["status"] == "running"
    # 10/s over 2 workers for 1 s: 5 rows a slice, 23 rows in 5 slices.
    assert send["slices"] == 5
    assert send["to_send"] == 23
    assert _outbox(settings) == Counter(), "the daily function sends nothing itself"
    run_id = send["run_id"]

    # A slice message that can never succeed: it is delivered twice, then dead-lettered.
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"run": run_id, "slice": 999999}))
    records = receive_records(sqs, queue, want=6)
    assert len(records) == 6
    bad = [r for r in records if json.loads(r["body"])["slice"] == 999999]
    good = [r for r in records if r not in bad]
    answer = aws_handlers.send_worker({"Records": bad + good}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": bad[0]["messageId"]}]}
    for r in good:  # what the event source does with the successes
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=r["receiptHandle"])

    got = _outbox(settings)
    assert set(got) == {world.emails[i] for i in ids}
    assert set(got.values()) == {1}
    assert {r.state for r in world.deliveries().values()} == {DeliveryState.SENT}
    # The worker that finished the last slice finished the run.
    assert world.issue_status() is IssueStatus.SENT

    # A slice delivered again (SQS delivers at least once) sends nothing twice.
    again = aws_handlers.send_worker({"Records": [good[0], good[3]]}, None)
    assert again == {"batchItemFailures": []}
    assert _outbox(settings) == got

    # The bad slice comes back once more, fails again, and then goes to the DLQ.
    time.sleep(1.1)
    (second,) = receive_records(sqs, queue, want=1)
    assert aws_handlers.send_worker({"Records": [second]}, None)["batchItemFailures"]
    time.sleep(1.1)
    assert receive_records(sqs, queue, want=1, within=2) == []
    dead = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, VisibilityTimeout=0)["Messages"]
    assert json.loads(dead[0]["Body"]) == {"run": run_id, "slice": 999999}

    status = runner.invoke(app, ["send", "status", "--date", DATE.isoformat(), "--json"])
    assert status.exit_code == 0, status.output
    data = json.loads(status.stdout)
    assert data["dead_letters"] == 1
    assert data["slices"] == {"open": 0, "taken": 0, "done": 5}
    text = runner.invoke(app, ["send", "status", "--date", DATE.isoformat()])
    assert "dead-letter queue: 1 slices that kept failing" in text.stdout

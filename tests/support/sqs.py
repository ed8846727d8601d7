"""moto's SQS for the fan-out tests: queues, and messages received as Lambda's event source
hands them to the worker function."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3


def make_queues(endpoint: str) -> tuple[Any, str, str]:
    """A send queue (1 s visibility, 2 receives) and its dead-letter queue on moto's SQS."""
    sqs = boto3.client("sqs", region_name="us-east-1", endpoint_url=endpoint)
    suffix = str(time.monotonic_ns())
    dlq = sqs.create_queue(QueueName=f"send-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    queue = sqs.create_queue(
        QueueName=f"send-{suffix}",
        Attributes={
            "VisibilityTimeout": "1",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}),
        },
    )["QueueUrl"]
    return sqs, queue, dlq


def receive_records(sqs: Any, queue: str, *, want: int, within: float = 30) -> list[dict[str, Any]]:
    """Messages as Lambda's event source hands them to the function (its record shape)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + within
    while len(got) < want and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in answer.get("Messages", []):
            got.append(
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "eventSource": "aws:sqs",
                }
            )
    return got

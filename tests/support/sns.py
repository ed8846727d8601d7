"""SNS and SES test material: a signer with a generated certificate served over local HTTP,
and SES event JSON shaped like the examples in AWS's documentation."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from newsletter.feedback.sns import SnsVerifier
from tests.support.certificates import self_signed
from tests.support.servers import QuietHandler, loopback_server, serving

TOPIC = "arn:aws:sns:us-east-1:123456789012:newsletter-prod-ses-notifications"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:someone-else"
CERT_PATH = "/SimpleNotificationService-0123456789abcdef.pem"


@dataclass
class SnsSigner:
    """Signs SNS messages the way SNS does, with a generated key and self-signed certificate."""

    key: rsa.RSAPrivateKey
    cert_pem: bytes
    cert_url: str
    base_url: str
    requests: list[str] = field(default_factory=list)

    def sign(self, message: dict[str, Any], *, version: str = "1") -> dict[str, Any]:
        """``message`` with SignatureVersion, SigningCertURL and Signature added."""
        if message["Type"] == "Notification":
            keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
        else:
            keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn"]
            keys.append("Type")
        canonical = "".join(f"{k}\n{message[k]}\n" for k in keys if k in message)
        # SignatureVersion 1 is SHA1 by SNS's definition.
        algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
        signature = self.key.sign(canonical.encode("utf-8"), padding.PKCS1v15(), algorithm)
        return {
            **message,
            "SignatureVersion": version,
            "SigningCertURL": message.get("SigningCertURL", self.cert_url),
            "Signature": base64.b64encode(signature).decode("ascii"),
        }

    def local(self, url: str) -> bool:
        """The URL check for this server: its own URLs stand in for sns.<region>.amazonaws.com."""
        return url.startswith(self.base_url + "/")

    def verifier(self, topics: list[str] | None = None) -> SnsVerifier:
        """A verifier that accepts this server's URLs in place of sns.<region>.amazonaws.com."""
        return SnsVerifier(
            [TOPIC] if topics is None else topics,
            url_allowed=self.local,
            subscribe_url_allowed=self.local,
        )

    def lambda_record(self, message: dict[str, Any]) -> dict[str, Any]:
        """A signed message as SNS hands it to Lambda (``SigningCertUrl``, ``Subject: null``)."""
        sns = {("SigningCertUrl" if k == "SigningCertURL" else k): v for k, v in message.items()}
        sns.setdefault("Subject", None)
        sns["UnsubscribeUrl"] = sns.pop("UnsubscribeURL", "")
        return {
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": f"{message['TopicArn']}:0f6a8f0e",
            "Sns": {**sns, "MessageAttributes": {}},
        }


def make_certificate(
    key: rsa.RSAPrivateKey, *, not_before: dt.datetime, not_after: dt.datetime
) -> bytes:
    """A self-signed PEM certificate for ``key``, named like SNS's."""
    return self_signed(
        key, common_name="sns.amazonaws.com", not_before=not_before, not_after=not_after
    )


@contextmanager
def serve_sns(key: rsa.RSAPrivateKey) -> Iterator[SnsSigner]:
    """A local HTTP server with the certificate (and an expired one), recording every GET."""
    now = dt.datetime.now(dt.UTC)
    files = {
        CERT_PATH: make_certificate(
            key, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(days=30)
        ),
        "/expired.pem": make_certificate(
            key, not_before=now - dt.timedelta(days=60), not_after=now - dt.timedelta(days=1)
        ),
    }
    seen: list[str] = []

    class Handler(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server looks up)
            seen.append(self.path)
            path = self.path.split("?", 1)[0]
            body = files.get(path, b"<ConfirmSubscriptionResponse/>")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(loopback_server(Handler)) as base:
        yield SnsSigner(key, files[CERT_PATH], f"{base}{CERT_PATH}", base, seen)


def sns_notification(
    message: str, *, topic: str = TOPIC, message_id: str = "m-1"
) -> dict[str, Any]:
    """An unsigned SNS Notification envelope around ``message``."""
    return {
        "Type": "Notification",
        "MessageId": message_id,
        "TopicArn": topic,
        "Message": message,
        "Timestamp": "2025-08-14T07:00:06.000Z",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }


# --- SES events (configuration-set event publishing), after AWS's documented examples -------


def _mail(message_id: str, recipient: str, *, timestamp: str) -> dict[str, Any]:
    return {
        "timestamp": timestamp,
        "source": "AI 日报 <news@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": message_id,
        "destination": [recipient],
        "headersTruncated": False,
        "headers": [
            {"name": "From", "value": "AI 日报 <news@example.com>"},
            {"name": "To", "value": recipient},
            {"name": "Subject", "value": "AI 日报 2025-08-14"},
        ],
        "commonHeaders": {
            "from": ["AI 日报 <news@example.com>"],
            "to": [recipient],
            "messageId": message_id,
            "subject": "AI 日报 2025-08-14",
        },
        "tags": {
            "ses:configuration-set": ["newsletter-prod"],
            "ses:source-ip": ["192.0.2.0"],
            "ses:from-domain": ["example.com"],
            "ses:caller-identity": ["newsletter-prod-role"],
        },
    }


def ses_event(
    kind: str,
    *,
    message_id: str,
    recipient: str = "reader@example.com",
    at: str = "2025-08-14T07:00:05.000Z",
    **options: Any,
) -> dict[str, Any]:
    """An SES event of ``kind`` (Send, Delivery, Bounce, Complaint, Reject, DeliveryDelay,
    Rendering Failure, Open, Click, Subscription) about ``message_id``.

    Options: ``permanent`` (bounce, default True), ``feedback_id`` (bounce, complaint),
    ``link`` and ``tag`` (click), ``diagnostic`` (bounce, delay), ``delivery`` (the ledger
    row's message tag).
    """
    event: dict[str, Any] = {
        "eventType": kind,
        "mail": _mail(message_id, recipient, timestamp="2025-08-14T07:00:00.000Z"),
    }
    if "delivery" in options:  # the ledger row's message tag, as SES publishes every tag
        event["mail"]["tags"]["delivery"] = [str(options["delivery"])]
    diagnostic = options.get("diagnostic", "smtp; 550 5.1.1 user unknown")
    if kind == "Send":
        event["send"] = {}
    elif kind == "Delivery":
        event["delivery"] = {
            "timestamp": at,
            "processingTimeMillis": 546,
            "recipients": [recipient],
            "smtpResponse": "250 2.6.0 Message received",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        }
    elif kind == "Bounce":
        permanent = options.get("permanent", True)
        event["bounce"] = {
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": diagnostic,
                }
            ],
            "timestamp": at,
            "feedbackId": options.get("feedback_id", f"0100-bounce-{message_id}"),
            "reportingMTA": "dsn; e226-55.smtp-out.us-east-1.amazonses.com",
        }
    elif kind == "Complaint":
        event["complaint"] = {
            "feedbackId": options.get("feedback_id", f"0100-complaint-{message_id}"),
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": recipient}],
            "timestamp": at,
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            "complaintFeedbackType": "abuse",
            "arrivalDate": at,
        }
    elif kind == "Reject":
        event["reject"] = {"reason": "Bad content"}
    elif kind == "DeliveryDelay":
        event["deliveryDelay"] = {
            "timestamp": at,
            "delayType": "TransientCommunicationFailure",
            "expirationTime": "2025-08-14T07:30:00.000Z",
            "delayedRecipients": [
                {
                    "emailAddress": recipient,
                    "status": "4.4.1",
                    "diagnosticCode": options.get(
                        "diagnostic", "smtp; 421 4.4.0 Unable to lookup DNS for example.com"
                    ),
                }
            ],
        }
    elif kind == "Rendering Failure":
        event["failure"] = {
            "errorMessage": "Attribute 'name' is not present in the rendering data.",
            "templateName": "DailyIssue",
        }
    elif kind == "Open":
        event["open"] = {
            "ipAddress": "192.0.2.1",
            "timestamp": at,
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)",
        }
    elif kind == "Click":
        tags: dict[str, list[str]] = {"link": [options["tag"]]} if options.get("tag") else {}
        event["click"] = {
            "ipAddress": "192.0.2.1",
            "link": options.get("link", "https://example.com/story"),
            "linkTags": tags,
            "timestamp": at,
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        }
    elif kind == "Subscription":
        event["subscription"] = {
            "contactList": "daily",
            "timestamp": at,
            "source": "UnsubscribeHeader",
            "newTopicPreferences": {"unsubscribeAll": True},
            "oldTopicPreferences": {"unsubscribeAll": False},
        }
    else:  # pragma: no cover - a typo in a test
        raise ValueError(kind)
    return event


def ses_message(kind: str, **kwargs: Any) -> str:
    """:func:`ses_event` as the JSON text an SNS Notification carries."""
    return json.dumps(ses_event(kind, **kwargs), ensure_ascii=False)

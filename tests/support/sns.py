"""SNS as the web service sees it: a signer with a generated key and self-signed
certificate (served over HTTP by the tests), and the SES notifications SNS carries."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from newsletter.sns import SnsVerifier
from tests.support.certificates import self_signed

TOPIC = "arn:aws:sns:us-east-1:123456789012:newsletter-prod-ses-notifications"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:someone-else"


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

    def verifier(self, topics: list[str] | None = None) -> SnsVerifier:
        """A verifier that accepts this server's URLs in place of sns.<region>.amazonaws.com."""

        def local(url: str) -> bool:
            return url.startswith(self.base_url + "/")

        return SnsVerifier(
            [TOPIC] if topics is None else topics, url_allowed=local, subscribe_url_allowed=local
        )


def make_certificate(
    key: rsa.RSAPrivateKey, *, not_before: dt.datetime, not_after: dt.datetime
) -> bytes:
    """A self-signed PEM certificate for ``key``, named like SNS's."""
    return self_signed(
        key, common_name="sns.amazonaws.com", not_before=not_before, not_after=not_after
    )


def ses_bounce(email: str, *, permanent: bool = True, feedback_id: str = "fb-1") -> str:
    """The Message of an SES bounce notification."""
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent" if permanent else "Transient",
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": email, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}
                ],
                "timestamp": "2025-08-14T07:00:05.000Z",
                "feedbackId": feedback_id,
            },
            "mail": {"messageId": "0100-mail-1", "source": "news@example.com"},
        }
    )


def ses_complaint(email: str, *, message_id: str = "0100-mail-1") -> str:
    """The Message of an SES complaint event (configuration-set event publishing format)."""
    return json.dumps(
        {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "feedbackId": "fb-complaint-1",
                "timestamp": "2025-08-14T08:00:00.000Z",
            },
            "mail": {"messageId": message_id, "source": "news@example.com"},
        }
    )


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

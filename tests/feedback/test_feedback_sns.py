"""SNS verification and the endpoint: signatures made with a certificate the test generates and
serves (the real verification path runs); forged, tampered and malformed messages change nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient

from newsletter.feedback.sns import (
    CertificateCache,
    SnsVerificationError,
    SnsVerifier,
    fetch_https,
    is_sns_certificate_url,
    is_sns_url,
)
from newsletter.models import EventKind
from newsletter.settings import Settings
from subscribers.app import create_app
from tests.support.audience import events_of
from tests.support.factories import add_issue, add_person
from tests.support.feedback import add_delivery, db_state, subscriber_status
from tests.support.sns import (
    CERT_PATH,
    OTHER_TOPIC,
    TOPIC,
    SnsSigner,
    ses_message,
    sns_notification,
)


def ses_bounce(email: str, *, permanent: bool = True, feedback_id: str = "fb-1") -> str:
    """An SES bounce (identity notification format) for ``email``."""
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


def _post(client: TestClient, message: dict[str, Any]) -> Any:
    # SNS posts JSON with a text/plain content type.
    return client.post(
        "/ses/notifications",
        content=json.dumps(message).encode(),
        headers={"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "x"},
    )


# --- the verifier on its own ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa.pem", True),
        # Only AWS's form: any other path of an SNS host is never fetched.
        ("https://sns.us-east-1.amazonaws.com/cert.pem", False),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem", False),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem", False),
        ("https://sns.us-east-1.amazonaws.com/a/SimpleNotificationService-abc.pem", False),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem?x=1", False),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem#f", False),
        ("https://sns.us-east-1.amazonaws.com/?Action=Publish&x=.pem", False),
        ("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ab%2F..pem", False),
        ("https://sns.eu-central-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem", True),
        ("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem", False),
        ("https://sns.us-east-1.amazonaws.com.example.com/cert.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/cert.pem", False),
        ("https://user@sns.us-east-1.amazonaws.com/cert.pem", False),
        ("https://evil.example.com/sns.us-east-1.amazonaws.com/cert.pem", False),
        ("https://sns.amazonaws.com/cert.pem", False),
        ("https://s3.us-east-1.amazonaws.com/cert.pem", False),
        ("https://sns.us-east-1.amazonaws.com/cert.txt", False),
        ("https://sns.us-east-1.amazonaws.com:abc/cert.pem", False),
        ("", False),
    ],
)
def test_certificate_url_check(url: str, ok: bool) -> None:
    assert is_sns_certificate_url(url) is ok


def test_subscribe_url_check() -> None:
    assert is_sns_url("https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=x")
    assert not is_sns_url("https://example.com/?Action=ConfirmSubscription")


@pytest.mark.parametrize("version", ["1", "2"])
def test_valid_signature_verifies_and_the_certificate_is_cached(
    sns_signer: SnsSigner, version: str
) -> None:
    verifier = sns_signer.verifier()
    for n in range(3):
        message = sns_signer.sign(
            sns_notification("hello 你好", message_id=f"m-{n}"), version=version
        )
        verified = verifier.verify(message)
        assert (verified.type, verified.message, verified.topic_arn) == (
            "Notification",
            "hello 你好",
            TOPIC,
        )
    assert verifier.certificates.fetches == 1
    assert sns_signer.requests == [CERT_PATH]


def test_subject_is_part_of_the_signature(sns_signer: SnsSigner) -> None:
    message = sns_signer.sign({**sns_notification("x"), "Subject": "Amazon SES Bounce"})
    verifier = sns_signer.verifier()
    assert verifier.verify(message).subject == "Amazon SES Bounce"
    with pytest.raises(SnsVerificationError, match="does not verify"):
        verifier.verify({**message, "Subject": "changed"})


def test_forged_signature_is_refused(sns_signer: SnsSigner) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    forger = SnsSigner(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        b"",
        sns_signer.cert_url,  # claims the real certificate
        sns_signer.base_url,
    )
    with pytest.raises(SnsVerificationError, match="does not verify"):
        sns_signer.verifier().verify(forger.sign(sns_notification("x")))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"Message": "tampered"}, "does not verify"),
        ({"MessageId": "m-other"}, "does not verify"),
        ({"Timestamp": "2030-01-01T00:00:00.000Z"}, "does not verify"),
        ({"Signature": "bm90IGEgc2lnbmF0dXJl"}, "does not verify"),
        ({"Signature": "***"}, "not base64"),
        ({"SignatureVersion": "3"}, "SignatureVersion"),
        ({"TopicArn": OTHER_TOPIC}, "not an accepted topic"),
        ({"Type": "Surprise"}, "unknown SNS message type"),
        ({"Message": None}, "has no Message"),
        ({"SigningCertURL": None}, "untrusted SigningCertURL"),
    ],
)
def test_tampered_messages_are_refused(
    sns_signer: SnsSigner, change: dict[str, Any], error: str
) -> None:
    message = sns_signer.sign(sns_notification("x"))
    with pytest.raises(SnsVerificationError, match=error):
        sns_signer.verifier().verify({**message, **change})


def test_wrong_host_and_wrong_topic_never_fetch_anything(sns_signer: SnsSigner) -> None:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return sns_signer.cert_pem

    verifier = SnsVerifier([TOPIC], fetch=fetch)  # the production URL check
    for url in (
        sns_signer.cert_url,
        "https://sns.us-east-1.amazonaws.com.evil.example.com/SimpleNotificationService-x.pem",
        "http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
    ):
        message = sns_signer.sign({**sns_notification("x"), "SigningCertURL": url})
        with pytest.raises(SnsVerificationError, match="untrusted SigningCertURL"):
            verifier.verify(message)
    foreign = sns_signer.sign(sns_notification("x", topic=OTHER_TOPIC))
    with pytest.raises(SnsVerificationError, match="not an accepted topic"):
        verifier.verify(foreign)
    with pytest.raises(SnsVerificationError, match="not an accepted topic"):
        SnsVerifier([], fetch=fetch).verify(sns_signer.sign(sns_notification("x")))
    assert fetched == []


def test_production_url_check_accepts_an_sns_host_and_verifies_with_its_certificate(
    sns_signer: SnsSigner,
) -> None:
    url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123.pem"
    served: list[str] = []

    def fetch(requested: str) -> bytes:
        served.append(requested)
        return sns_signer.cert_pem

    message = sns_signer.sign({**sns_notification("x"), "SigningCertURL": url})
    assert SnsVerifier([TOPIC], fetch=fetch).verify(message).message == "x"
    assert served == [url]


def test_expired_certificate_is_refused(sns_signer: SnsSigner) -> None:
    message = sns_signer.sign(
        {**sns_notification("x"), "SigningCertURL": f"{sns_signer.base_url}/expired.pem"}
    )
    with pytest.raises(SnsVerificationError, match="not valid now"):
        sns_signer.verifier().verify(message)


def test_not_a_certificate_is_refused(sns_signer: SnsSigner) -> None:
    message = sns_signer.sign(
        {**sns_notification("x"), "SigningCertURL": f"{sns_signer.base_url}/other.pem"}
    )
    with pytest.raises(SnsVerificationError, match="not a PEM certificate"):
        sns_signer.verifier().verify(message)


def test_fetch_errors_are_verification_errors() -> None:
    with pytest.raises(SnsVerificationError, match="cannot fetch"):
        fetch_https("http://127.0.0.1:9/SimpleNotificationService.pem")


def test_subscription_confirmation_visits_the_subscribe_url(sns_signer: SnsSigner) -> None:
    subscribe_url = f"{sns_signer.base_url}/?Action=ConfirmSubscription&Token=tok"
    message = sns_signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "c-1",
            "Token": "tok",
            "TopicArn": TOPIC,
            "Message": "You have chosen to subscribe to the topic.",
            "SubscribeURL": subscribe_url,
            "Timestamp": "2025-08-14T07:00:00.000Z",
        }
    )
    verifier = sns_signer.verifier()
    verifier.confirm_subscription(verifier.verify(message))
    assert "/?Action=ConfirmSubscription&Token=tok" in sns_signer.requests
    with pytest.raises(SnsVerificationError, match="untrusted SubscribeURL"):
        SnsVerifier([TOPIC]).confirm_subscription(verifier.verify(message))


# --- the endpoint --------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1", "2"])
def test_permanent_bounce_marks_the_address_bounced(
    client: TestClient, engine: Engine, sns_signer: SnsSigner, version: str
) -> None:
    person = add_person(engine, "gone@example.com")
    other = add_person(engine, "stays@example.com")
    message = sns_signer.sign(sns_notification(ses_bounce("gone@example.com")), version=version)
    response = _post(client, message)
    assert response.status_code == 200
    assert response.json() == {
        "kind": "bounce",
        "recipients": 1,
        "changed": 1,
        "recorded": True,
        "unknown": True,
    }
    assert subscriber_status(engine, person.subscriber_id) == "bounced"
    assert subscriber_status(engine, other.subscriber_id) == "ok"
    # A replay is harmless.
    state = db_state(engine)
    assert _post(client, message).status_code == 200
    assert db_state(engine) == state


def test_transient_bounces_count_and_bounce_after_the_limit_and_replays_do_not_count(
    client: TestClient, engine: Engine, sns_signer: SnsSigner, web_settings: Settings
) -> None:
    person = add_person(engine, "full@example.com")
    first = sns_signer.sign(
        sns_notification(ses_bounce("full@example.com", permanent=False, feedback_id="fb-a10"))
    )
    for _ in range(3):  # one bounce delivered three times
        assert _post(client, first).status_code == 200
    assert [s[1:] for s in db_state(engine).subscribers] == [("ok", 1)]
    for n in range(1, web_settings.soft_bounce_limit):
        # "fb-a1" is the start of "fb-a10": still another bounce.
        message = sns_signer.sign(
            sns_notification(
                ses_bounce("full@example.com", permanent=False, feedback_id=f"fb-a{n}"),
                message_id=f"m-{n}",
            )
        )
        assert _post(client, message).status_code == 200
    assert subscriber_status(engine, person.subscriber_id) == "bounced"
    kinds = [e.kind for e in events_of(engine, person.subscriber_id)]
    assert kinds.count(EventKind.SOFT_BOUNCED) == web_settings.soft_bounce_limit
    assert kinds.count(EventKind.BOUNCED) == 1


def test_complaint_unsubscribes_everywhere_and_records_the_issue(
    client: TestClient, engine: Engine, sns_signer: SnsSigner
) -> None:
    person = add_person(engine, "angry@example.com")
    add_person(engine, "angry@example.com", list_name="weekly")
    issue_id = add_issue(engine, dt.date(2025, 8, 14))
    add_delivery(engine, person, issue_id, message_id="0100-ses-message-7")
    message = sns_signer.sign(
        sns_notification(
            ses_message("Complaint", message_id="0100-ses-message-7", recipient=person.email)
        )
    )
    response = _post(client, message)
    assert response.json() == {
        "kind": "complaint",
        "recipients": 1,
        "changed": 1,
        "recorded": True,
        "unknown": False,
    }
    state = db_state(engine)
    assert subscriber_status(engine, person.subscriber_id) == "complained"
    assert [s[2] for s in state.subscriptions] == ["unsubscribed", "unsubscribed"]
    events = events_of(engine, person.subscriber_id)
    complained = [e for e in events if e.kind is EventKind.COMPLAINED]
    assert [(e.issue_id, e.method) for e in complained] == [(issue_id, "complaint")]
    assert _post(client, message).json()["recorded"] is False
    assert db_state(engine) == state


def _bad_messages(sns_signer: SnsSigner) -> dict[str, dict[str, Any] | str]:
    valid = sns_signer.sign(sns_notification(ses_bounce("gone@example.com")))
    aws_url = "https://sns.us-east-1.amazonaws.com.evil.example.com/SimpleNotificationService.pem"
    return {
        "unsigned": sns_notification(ses_bounce("gone@example.com")),
        "tampered": {**valid, "Message": ses_bounce("stays@example.com")},
        "bad_signature": {**valid, "Signature": base64.b64encode(b"x" * 256).decode()},
        "wrong_topic": sns_signer.sign(
            sns_notification(ses_bounce("gone@example.com"), topic=OTHER_TOPIC)
        ),
        "wrong_host": sns_signer.sign(
            {**sns_notification(ses_bounce("gone@example.com")), "SigningCertURL": aws_url}
        ),
        "not_json": "{not json",
        "not_object": "[1, 2]",
    }


def test_forged_tampered_wrong_topic_and_wrong_host_messages_change_nothing(
    client: TestClient, engine: Engine, sns_signer: SnsSigner
) -> None:
    add_person(engine, "gone@example.com")
    add_person(engine, "stays@example.com")
    before = db_state(engine)
    for name, message in _bad_messages(sns_signer).items():
        if isinstance(message, str):
            response = client.post("/ses/notifications", content=message.encode())
        else:
            response = _post(client, message)
        assert response.status_code == 403, name
    assert db_state(engine) == before


def test_wrong_host_is_refused_by_the_production_check(
    web_settings: Settings, engine: Engine, sns_signer: SnsSigner
) -> None:
    add_person(engine, "gone@example.com")
    before = db_state(engine)
    app = create_app(web_settings, engine=engine)  # the default verifier
    with TestClient(app) as default_client:
        response = _post(default_client, sns_signer.sign(sns_notification(ses_bounce("x"))))
    assert response.status_code == 403
    assert sns_signer.requests == []
    assert db_state(engine) == before


def test_subscription_confirmation_through_the_endpoint(
    client: TestClient, sns_signer: SnsSigner
) -> None:
    message = sns_signer.sign(
        {
            "Type": "SubscriptionConfirmation",
            "MessageId": "c-2",
            "Token": "tok2",
            "TopicArn": TOPIC,
            "Message": "confirm",
            "SubscribeURL": f"{sns_signer.base_url}/?Action=ConfirmSubscription&Token=tok2",
            "Timestamp": "2025-08-14T07:00:00.000Z",
        },
        version="2",
    )
    response = _post(client, message)
    assert response.status_code == 200
    assert "/?Action=ConfirmSubscription&Token=tok2" in sns_signer.requests


def test_unrecorded_types_and_garbage_are_ignored(
    client: TestClient, engine: Engine, sns_signer: SnsSigner
) -> None:
    add_person(engine, "fine@example.com")
    before = db_state(engine)
    other = json.dumps({"eventType": "Surprise", "mail": {"messageId": "x"}})
    response = _post(client, sns_signer.sign(sns_notification(other)))
    assert response.json()["kind"] == "ignored"
    for n, text in enumerate(["not json", "[1]", json.dumps({"eventType": "Open"}), "[" * 5000]):
        garbage = _post(client, sns_signer.sign(sns_notification(text, message_id=f"m-{n}")))
        assert garbage.status_code == 200
        assert garbage.json()["kind"] == "ignored"
    assert db_state(engine) == before


def test_deeply_nested_json_is_refused_like_any_malformed_body(client: TestClient) -> None:
    for body in ("[" * 2000, "[" * 100_000, '{"a":' * 3000):
        response = client.post("/ses/notifications", content=body.encode())
        assert response.status_code == 403


def test_a_forged_certificate_url_is_fetched_once_and_the_failure_remembered() -> None:
    fetched: list[str] = []
    now = [1000.0]

    def fetch(url: str) -> bytes:
        fetched.append(url)
        raise SnsVerificationError(f"cannot fetch {url}: HTTP 404")

    cache = CertificateCache(fetch, failure_ttl=300, monotonic=lambda: now[0])
    url = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-00ff.pem"
    for _ in range(50):
        with pytest.raises(SnsVerificationError, match="HTTP 404"):
            cache.get(url)
    assert fetched == [url]
    now[0] += 301
    with pytest.raises(SnsVerificationError):
        cache.get(url)
    assert fetched == [url, url]


def test_a_certificate_that_is_not_one_is_also_remembered(sns_signer: SnsSigner) -> None:
    verifier = sns_signer.verifier()
    message = sns_signer.sign(
        {**sns_notification("x"), "SigningCertURL": f"{sns_signer.base_url}/other.pem"}
    )
    for _ in range(5):
        with pytest.raises(SnsVerificationError, match="not a PEM certificate"):
            verifier.verify(message)
    assert sns_signer.requests == ["/other.pem"]

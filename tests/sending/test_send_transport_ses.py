"""The SES transport over HTTP against moto's server (and a fault proxy in front of it)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from newsletter.errors import ConfigError
from newsletter.message import MessageBuilder, Recipient
from newsletter.settings import Settings
from newsletter.transport import (
    AccountError,
    FileTransport,
    OutgoingMessage,
    PermanentError,
    TransientError,
    make_transport,
)
from newsletter.transport.process import ProcessTransport
from newsletter.transport.ses import (
    SesTransport,
    classify_botocore_error,
    classify_client_error,
    is_aws_endpoint,
)
from newsletter.transport.smtp import SmtpTransport
from tests.support.aws import AWS_ENV
from tests.support.mail import parse
from tests.support.ports import free_port
from tests.support.sending import FaultProxy, Ses


def ses_settings(endpoint: str, **kw: Any) -> Settings:
    return Settings(
        transport="ses",
        ses_endpoint_url=endpoint,
        sender="AI 日报 <news@example.com>",
        **kw,
    )


def message(to: str = "reader@example.com", *, sender: str = "news@example.com") -> OutgoingMessage:
    raw = MessageBuilder(
        sender=f"AI 日报 <{sender}>",
        subject="AI科技日报 2025-08-14",
        list_id="daily.example.com",
        list_name="AI 日报",
    ).build(
        to=Recipient(to, "读者"),
        html="<p>你好</p>",
        text="你好",
        unsubscribe_url="https://news.example.com/unsubscribe/TOKEN",
    )
    return OutgoingMessage(sender, (to,), raw, (("issue", "2025-08-14"),))


#: Every SES test below runs with the client in the sending process and in a sender process
#: (NEWSLETTER_SEND_PROCESSES): the same requests, the same classified errors.
IN_A_CHILD = pytest.mark.parametrize("processes", [0, 1], ids=["in-process", "sender-process"])


@IN_A_CHILD
def test_raw_message_reaches_ses(ses: Ses, processes: int) -> None:
    settings = ses_settings(ses.endpoint, send_processes=processes)
    with make_transport(settings, concurrency=4) as transport:
        assert isinstance(transport, SesTransport if not processes else ProcessTransport)
        sent = message()
        message_id = transport.send(sent)
    (accepted,) = ses.accepted()
    assert accepted["id"] == message_id
    assert "reader@example.com" in accepted["destinations"]
    assert accepted["raw_data"].encode("utf-8") == sent.raw
    msg = parse(accepted["raw_data"].encode("utf-8"))
    assert str(msg["Subject"]) == "AI科技日报 2025-08-14"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@IN_A_CHILD
def test_local_quota_comes_from_v1_and_is_not_real(ses: Ses, processes: int) -> None:
    settings = ses_settings(ses.endpoint, send_processes=processes)
    with make_transport(settings, concurrency=1) as transport:
        quota = transport.quota()
    assert quota is not None
    # moto has no sesv2 GetAccount (404): the v1 numbers are its placeholders.
    assert quota.source.startswith("ses GetSendQuota")
    assert quota.max_send_rate == 1.0
    assert quota.max_24_hour_send == 200.0
    assert quota.real is False
    assert is_aws_endpoint("")
    assert is_aws_endpoint("https://email.eu-west-1.amazonaws.com")
    assert not is_aws_endpoint(ses.endpoint)


@IN_A_CHILD
def test_unverified_sender_stops_the_account(ses: Ses, processes: int) -> None:
    settings = ses_settings(ses.endpoint, send_processes=processes)
    with (
        make_transport(settings, concurrency=1) as transport,
        pytest.raises(AccountError, match="intruder@example.com") as refused,
    ):
        transport.send(message(sender="intruder@example.com"))
    assert not refused.value.daily_quota
    assert ses.accepted() == []


@IN_A_CHILD
def test_configuration_set_and_tags_go_with_every_message(
    fault_proxy: Callable[[Callable[[int], str | None]], FaultProxy], processes: int
) -> None:
    proxy = fault_proxy(lambda n: None)
    settings = ses_settings(
        proxy.url,
        ses_configuration_set="newsletter",
        ses_message_tags={"app": "newsletter"},
        send_processes=processes,
    )
    with make_transport(settings, concurrency=2) as transport:
        transport.send(message())
    (body,) = proxy.bodies
    assert body["ConfigurationSetName"] == "newsletter"
    assert body["EmailTags"] == [
        {"Name": "app", "Value": "newsletter"},
        {"Name": "issue", "Value": "2025-08-14"},
    ]
    assert body["FromEmailAddress"] == "news@example.com"
    assert body["Destination"] == {"ToAddresses": ["reader@example.com"]}


@IN_A_CHILD
def test_throttling_and_server_errors_over_http_are_transient(
    fault_proxy: Callable[[Callable[[int], str | None]], FaultProxy], processes: int
) -> None:
    proxy = fault_proxy(lambda n: "throttle" if n == 1 else "5xx" if n == 2 else None)
    settings = ses_settings(proxy.url, send_processes=processes)
    with make_transport(settings, concurrency=1) as transport:
        with pytest.raises(TransientError) as throttled:
            transport.send(message())
        assert throttled.value.throttled
        with pytest.raises(TransientError, match="503") as failed:
            transport.send(message())
        assert not failed.value.throttled
        assert transport.send(message())  # botocore retried nothing by itself: the 3rd goes


@IN_A_CHILD
def test_unreachable_endpoint_is_transient(monkeypatch: pytest.MonkeyPatch, processes: int) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    settings = ses_settings(f"http://127.0.0.1:{free_port()}", send_processes=processes)
    with (
        make_transport(settings, concurrency=1) as transport,
        pytest.raises(TransientError, match="cannot reach SES"),
    ):
        transport.send(message())


def _client_error(code: str, text: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": text},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "SendEmail")


@pytest.mark.parametrize(
    ("code", "text", "status", "kind"),
    [
        ("TooManyRequestsException", "Too many requests", 429, TransientError),
        ("LimitExceededException", "Maximum sending rate exceeded.", 400, TransientError),
        ("Throttling", "Maximum sending rate exceeded.", 400, TransientError),
        ("InternalFailure", "oops", 500, TransientError),
        ("ServiceUnavailable", "", 503, TransientError),
        ("Throttling", "Daily message quota exceeded.", 400, AccountError),
        ("LimitExceededException", "Daily message quota exceeded", 400, AccountError),
        ("AccountSuspendedException", "suspended", 400, AccountError),
        ("SendingPausedException", "paused", 400, AccountError),
        ("MailFromDomainNotVerifiedException", "not verified", 400, AccountError),
        ("NotFoundException", "Configuration set does not exist", 404, AccountError),
        ("UnrecognizedClientException", "bad key", 403, AccountError),
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region US-EAST-1: news@example.com",
            400,
            AccountError,
        ),
        (
            "MessageRejected",
            "Email address is not verified. The following identities failed the check in "
            "region US-EAST-1: reader@example.org",
            400,
            PermanentError,
        ),
        ("MessageRejected", "Illegal address", 400, PermanentError),
        ("BadRequestException", "Invalid header", 400, PermanentError),
    ],
)
def test_classification(code: str, text: str, status: int, kind: type[Exception]) -> None:
    err = classify_client_error(
        _client_error(code, text, status), sender_address="news@example.com"
    )
    assert type(err) is kind
    assert code in str(err)
    daily = "Daily" in text
    assert getattr(err, "daily_quota", False) is daily


def test_botocore_errors() -> None:
    assert isinstance(
        classify_botocore_error(EndpointConnectionError(endpoint_url="http://x")), TransientError
    )
    assert isinstance(classify_botocore_error(NoCredentialsError()), AccountError)


def test_factory_picks_the_configured_transport(tmp_path: Path) -> None:
    file_settings = Settings(transport="file", file_outbox=tmp_path / "out")
    assert isinstance(make_transport(file_settings, concurrency=1), FileTransport)
    smtp_settings = Settings(transport="smtp", smtp_host="127.0.0.1", smtp_port=2525)
    assert isinstance(make_transport(smtp_settings, concurrency=1), SmtpTransport)


def test_bad_tags_are_refused(ses: Ses) -> None:
    with pytest.raises(ConfigError, match="NEWSLETTER_SES_MESSAGE_TAGS"):
        make_transport(ses_settings(ses.endpoint, ses_message_tags={"a b": "c"}), concurrency=1)


def test_file_transport_writes_one_eml_per_message(tmp_path: Path) -> None:
    transport = FileTransport(tmp_path / "outbox")
    first = transport.send(message("a@example.com"))
    second = transport.send(message("b@example.com"))
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == sorted([first, second])
    assert all(f.suffix == ".eml" for f in files)
    to = {parse(f.read_bytes())["To"].addresses[0].addr_spec for f in files}
    assert to == {"a@example.com", "b@example.com"}
    assert transport.quota() is None


def _ses_offline(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> SesTransport:
    """A transport made from ``settings`` whose calls botocore builds completely and a
    ``before-call`` handler then answers (no HTTP)."""
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    transport = SesTransport.from_settings(settings, concurrency=3)
    calls = itertools.count(1)

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("", 200, HTTPHeaders(), None), {"MessageId": f"id-{next(calls)}"}

    # A before-call handler's answer stands for the HTTP exchange (botocore's contract;
    # the stubs type handlers as returning None).
    hook: Any = answer
    transport._client.meta.events.register("before-call.sesv2.SendEmail", hook)
    return transport


def test_transport_client_skips_botocore_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    # send() builds every request itself; botocore's per-call validation is redundant there.
    transport = _ses_offline(monkeypatch, ses_settings("http://127.0.0.1:9"))
    client = transport._client
    # A request botocore's validation would refuse goes through: nothing checked it.
    # (With validation: "Invalid type for parameter FromEmailAddress", "Missing Content".)
    wrong: Any = 12345
    assert client.send_email(FromEmailAddress=wrong)["MessageId"]  # type: ignore[call-arg]
    config: Any = client.meta.config
    assert config.max_pool_connections == 3
    assert config.retries == {"total_max_attempts": 1, "mode": "standard"}
    transport.close()


@pytest.mark.parametrize(
    ("configuration_set", "tags", "per_message_set"),
    [
        ("", {}, None),
        ("newsletter", {"app": "newsletter", "env": "prod-1"}, None),
        ("newsletter", {}, "tracked"),
        ("", {"app": "x"}, ""),
    ],
)
def test_every_request_is_valid_for_the_service_model(
    monkeypatch: pytest.MonkeyPatch,
    configuration_set: str,
    tags: dict[str, str],
    per_message_set: str | None,
) -> None:
    """With botocore's validation off, the shape is ours to keep: check it against the
    SendEmail input shape, as botocore would have on every call."""
    from botocore.validate import ParamValidator

    settings = ses_settings(
        "http://127.0.0.1:9", ses_configuration_set=configuration_set, ses_message_tags=tags
    )
    one = message()
    many = OutgoingMessage(
        "news@example.com",
        ("a@example.com", "b@example.com"),
        one.raw,
        (("issue", "2025-08-14"), ("delivery", "42")),
        per_message_set,
    )
    bare = OutgoingMessage("news@example.com", ("a@example.com",), one.raw)
    transport = _ses_offline(monkeypatch, settings)
    requests: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        requests.append(dict(params))

    transport._client.meta.events.register("provide-client-params.sesv2.SendEmail", keep)
    for sent in (one, many, bare):
        transport.send(sent)
    transport.close()
    assert len(requests) == 3
    shape = transport._client.meta.service_model.operation_model("SendEmail").input_shape
    assert shape is not None
    validator = ParamValidator()
    for params in requests:
        report = validator.validate(params, shape)
        assert not report.has_errors(), report.generate_report()
    assert requests[1]["Destination"] == {"ToAddresses": ["a@example.com", "b@example.com"]}
    expected_set = configuration_set if per_message_set is None else per_message_set
    assert requests[1].get("ConfigurationSetName", "") == expected_set
    # The check has teeth: what botocore would refuse, it refuses.
    wrong = dict(requests[0], EmailTags=[{"Name": "n", "Value": 1}])
    assert validator.validate(wrong, shape).has_errors()

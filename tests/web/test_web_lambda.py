"""The Lambda handlers named in serverless.yml: each imports and answers a sample event.

Settings come as on AWS: the environment plus SSM Parameter Store (moto's server over HTTP).
"""

from __future__ import annotations

import base64
import importlib
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from sqlalchemy import Engine

from newsletter.aws import handlers as aws_handlers
from newsletter.aws.settings import lambda_settings, ssm_overrides
from newsletter.errors import ConfigError, InputError
from newsletter.models import EventKind
from newsletter.settings import Settings
from subscribers import lambda_handlers
from tests.support.audience import db_state, events_of, unsubscribe_token
from tests.support.factories import add_person
from tests.support.mail import read_outbox
from tests.support.serverless import load_serverless
from tests.support.sns import TOPIC


def _handlers() -> dict[str, str]:
    config = load_serverless()
    return {name: fn["handler"] for name, fn in config["functions"].items()}


def _resolve(handler: str) -> Callable[..., Any]:
    module, _, attr = handler.rpartition(".")
    function = getattr(importlib.import_module(module), attr)
    assert callable(function)
    return function  # type: ignore[no-any-return]


def test_serverless_yml_names_the_four_handlers_and_each_imports() -> None:
    handlers = _handlers()
    assert handlers == {
        "web": "subscribers.lambda_handlers.web",
        "daily": "newsletter.aws.handlers.daily",
        "sendWorker": "newsletter.aws.handlers.send_worker",
        "sesNotifications": "subscribers.lambda_handlers.sns",
    }
    for handler in handlers.values():
        _resolve(handler)


def test_serverless_yml_runtime_schedule_and_permissions() -> None:
    config = load_serverless()
    assert config["provider"]["runtime"] == "python3.12"
    schedule = config["functions"]["daily"]["events"][0]["schedule"]["rate"]
    assert schedule == "${param:dailyCron}"
    assert config["params"]["default"]["dailyCron"].startswith("cron(")
    actions = sorted(
        action
        for statement in config["provider"]["iam"]["role"]["statements"]
        for action in statement["Action"]
    )
    assert actions == [
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
        "ses:GetAccount",
        "ses:GetSendQuota",
        "ses:SendEmail",
        "ses:SendRawEmail",
        "sqs:SendMessage",
        "ssm:GetParametersByPath",
    ]


@pytest.fixture
def lambda_env(
    cli_env: Settings, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, str]:
    """The Lambda's environment: the secret key and sender live in SSM, not in the env."""
    path = f"/newsletter/test-{uuid.uuid4().hex[:8]}"
    ssm = boto3.client("ssm")
    ssm.put_parameter(
        Name=f"{path}/secret_key", Value=cli_env.secret_key, Type="SecureString", Overwrite=True
    )
    ssm.put_parameter(Name=f"{path}/sender", Value=cli_env.sender, Type="String", Overwrite=True)
    ssm.put_parameter(
        Name=f"{path}/sns-topic-arns", Value=json.dumps([TOPIC]), Type="String", Overwrite=True
    )
    monkeypatch.delenv("NEWSLETTER_SECRET_KEY")
    monkeypatch.delenv("NEWSLETTER_SENDER")
    monkeypatch.setenv("NEWSLETTER_SSM_PATH", path)
    monkeypatch.setattr(lambda_handlers, "_web_adapter", [])  # a fresh container
    return cli_env, path


def test_settings_come_from_ssm(lambda_env: tuple[Settings, str]) -> None:
    expected, _ = lambda_env
    settings = lambda_settings()
    assert settings.secret_key == expected.secret_key
    assert settings.sender == expected.sender
    assert settings.sns_topic_arns == [TOPIC]
    assert settings.database_url == expected.database_url


def test_unknown_ssm_parameter_is_a_config_error(lambda_env: tuple[Settings, str]) -> None:
    _, path = lambda_env
    boto3.client("ssm").put_parameter(Name=f"{path}/secret_kye", Value="x", Type="String")
    with pytest.raises(ConfigError, match="no such setting 'secret_kye'"):
        ssm_overrides(path)


def test_unreachable_ssm_is_a_config_error(monkeypatch: pytest.MonkeyPatch, aws_env: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(ConfigError, match="cannot read /newsletter/x"):
        ssm_overrides("/newsletter/x")


def _http_event(
    method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc123.execute-api.us-east-1.amazonaws.com", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "Mozilla/5.0",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "14/Aug/2025:07:00:00 +0000",
            "timeEpoch": 1755154800000,
        },
        "body": base64.b64encode(body).decode() if body else None,
        "isBase64Encoded": bool(body),
    }


def test_web_handler_answers_http_api_events(
    lambda_env: tuple[Settings, str], engine: Engine
) -> None:
    settings, _ = lambda_env
    handler = _resolve(_handlers()["web"])
    health = handler(_http_event("GET", "/healthz"), None)
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "ok"}
    person = add_person(engine, "lambda@example.com")
    path = f"/unsubscribe/{unsubscribe_token(settings, person)}"
    page = handler(_http_event("GET", path), None)
    assert page["statusCode"] == 200
    assert "la***@example.com" in page["body"]
    one_click = handler(
        _http_event(
            "POST",
            path,
            body=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        None,
    )
    assert one_click["statusCode"] == 200
    assert "set-cookie" not in {k.lower() for k in one_click.get("headers", {})}
    assert not one_click.get("cookies")
    assert [(e.kind, e.method) for e in events_of(engine, person.subscriber_id)][-1] == (
        EventKind.UNSUBSCRIBED,
        "one-click",
    )


def test_web_handler_sends_the_confirmation_email_before_returning(
    lambda_env: tuple[Settings, str], engine: Engine
) -> None:
    settings, _ = lambda_env
    handler = _resolve(_handlers()["web"])
    response = handler(
        _http_event(
            "POST",
            "/subscribe",
            body=b"email=lambda-new%40example.com&name=",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        None,
    )
    assert response["statusCode"] == 200
    # The email goes out after the response body, still within the invocation.
    assert len(list(Path(settings.file_outbox).glob("*.eml"))) == 1
    assert [s[2] for s in db_state(engine).subscriptions] == ["pending"]


class LambdaContext:
    """What the Lambda runtime passes as ``context``: the time left and the function's ARN."""

    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:newsletter-prod-daily"

    def __init__(self, seconds_left: float) -> None:
        self.deadline = time.monotonic() + seconds_left

    def get_remaining_time_in_millis(self) -> int:
        return int((self.deadline - time.monotonic()) * 1000)


def _scheduled_event() -> dict[str, Any]:
    return {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2025-08-14T07:00:00Z",
        "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/newsletter-prod-daily"],
        "detail": {},
    }


def _recipients(settings: Settings) -> list[str]:
    return sorted(str(m["To"]) for m in read_outbox(Path(settings.file_outbox)))


def test_daily_handler_sends_the_day_once(
    lambda_env: tuple[Settings, str],
    engine: Engine,
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, _ = lambda_env
    monkeypatch.setenv("NEWSLETTER_DAILY_SOURCE", str(samples / "ai-daily-2025-08-14.md"))
    add_person(engine, "daily@example.com")
    handler = _resolve(_handlers()["daily"])
    first = handler(_scheduled_event(), LambdaContext(900))
    json.dumps(first)  # what Lambda returns must be JSON
    assert [e["edition"] for e in first["editions"]] == ["default"]
    assert first["editions"][0]["date"] == "2025-08-14"
    assert first["editions"][0]["send"]["sent"] == 1
    second = handler(_scheduled_event(), LambdaContext(900))
    assert second["editions"][0]["already_sent"] is True
    assert _recipients(settings) == ["daily@example.com"]


def test_daily_run_near_the_time_limit_stops_cleanly_and_the_next_run_resumes(
    lambda_env: tuple[Settings, str],
    engine: Engine,
    samples: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, _ = lambda_env
    monkeypatch.setenv("NEWSLETTER_DAILY_SOURCE", str(samples / "ai-daily-2025-08-14.md"))
    for n in range(5):
        add_person(engine, f"reader{n}@example.com")
    # Already inside the safety margin: the send stops before its first message.
    context = LambdaContext(aws_handlers.TIME_MARGIN_SECONDS)
    report = aws_handlers.daily(_scheduled_event(), context)
    assert report["ok"] is False
    assert report["editions"][0]["send"]["status"] == "stopped"
    rest = aws_handlers.daily(_scheduled_event(), LambdaContext(900))
    assert rest["ok"] is True
    assert rest["editions"][0]["send"]["status"] == "finished"
    assert _recipients(settings) == [f"reader{n}@example.com" for n in range(5)]


def test_daily_event_with_a_bad_date_is_an_input_error(lambda_env: tuple[Settings, str]) -> None:
    with pytest.raises(InputError, match="date must be YYYY-MM-DD"):
        aws_handlers.daily({"date": "14/08/2025"}, None)

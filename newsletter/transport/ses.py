"""Amazon SES through the v2 API: ``send_email`` with the raw MIME message.

One client is shared by all send workers (boto3 clients are thread-safe); its connection
pool is sized to the number of workers so that none waits for a connection. botocore's own
retries are switched off: the send pipeline retries with backoff itself, so that every
attempt passes through its rate limiter and is counted. botocore's parameter validation is
switched off too: :meth:`SesTransport.send` builds every request itself from a typed
:class:`OutgoingMessage`, so the shape is fixed by this module (a test validates it against
the service model), and checking it again on every call costs CPU the send shares with
every other worker thread (see bench/README.md, "Sending").

Region and credentials come the standard AWS way (environment, profile, instance role);
``NEWSLETTER_SES_ENDPOINT_URL`` points the client at a local SES such as moto's server.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    CredentialRetrievalError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)

from newsletter.errors import ConfigError
from newsletter.transport.base import Closing, OutgoingMessage, SendQuota
from newsletter.transport.errors import (
    AccountError,
    PermanentError,
    TransientError,
    TransportError,
)

if TYPE_CHECKING:
    from mypy_boto3_ses.client import SESClient
    from mypy_boto3_sesv2.client import SESV2Client
    from mypy_boto3_sesv2.type_defs import MessageTagTypeDef, SendEmailRequestTypeDef

    from newsletter.settings import Settings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
_TAG_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

_THROTTLING = {
    "TooManyRequestsException",
    "LimitExceededException",
    "Throttling",
    "ThrottlingException",
}
_SERVER = {"InternalFailure", "InternalServerError", "ServiceUnavailable", "RequestTimeout"}
_ACCOUNT = {
    "AccountSuspendedException",
    "SendingPausedException",
    "AccountSendingPausedException",
    "ConfigurationSetSendingPausedException",
    "MailFromDomainNotVerifiedException",
    "MailFromDomainNotVerified",
    "ConfigurationSetDoesNotExist",
    "NotFoundException",
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidSignatureException",
}


def check_tags(tags: Mapping[str, str], *, source: str) -> list[tuple[str, str]]:
    """SES accepts tag names and values of ASCII letters, digits, ``_`` and ``-`` only."""
    for name, value in tags.items():
        if not _TAG_RE.match(name) or not _TAG_RE.match(value):
            raise ConfigError(
                f"{source}: SES tag {name!r}={value!r} may use only letters, digits, _ and -"
            )
    return list(tags.items())


def classify_client_error(exc: ClientError, *, sender_address: str) -> TransportError:
    """Map an SES API error to transient / permanent / account-level (see transport.errors)."""
    error: Mapping[str, Any] = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    text = " ".join(str(error.get("Message", "")).split())[:300]
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    detail = f"{code}: {text}" if text else code
    lowered = text.lower()
    if "daily message quota exceeded" in lowered:
        return AccountError(f"SES daily sending quota used up ({detail})", daily_quota=True)
    if code in _THROTTLING or "maximum sending rate exceeded" in lowered:
        return TransientError(f"SES throttled the send ({detail})", throttled=True)
    if code in _SERVER or status >= 500:
        return TransientError(f"SES server error {status} ({detail})")
    if code in _ACCOUNT:
        return AccountError(f"SES refuses to send for this account ({detail})")
    if sender_address and sender_address.lower() in lowered:
        # "Email address is not verified ... identities failed the check: news@..." names
        # the sender: every message would fail the same way.
        return AccountError(f"SES refuses the sender {sender_address} ({detail})")
    return PermanentError(f"SES rejected the message ({detail})")


def classify_botocore_error(exc: BotoCoreError) -> TransportError:
    """Connection problems are transient; missing credentials or region stop the send."""
    if isinstance(exc, HTTPClientError | ConnectionError):
        return TransientError(f"cannot reach SES: {exc}")
    if isinstance(
        exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError | NoRegionError
    ):
        return AccountError(f"AWS configuration: {exc}")
    return PermanentError(f"SES client error: {exc}")


def client_config(concurrency: int) -> Config:
    """The botocore configuration of the send's clients (see the module docstring).

    ``concurrency`` connections in the pool; one attempt per call; no parameter validation
    (our own code guarantees the request's shape).
    """
    return Config(
        max_pool_connections=max(1, concurrency),
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        parameter_validation=False,
    )


def is_aws_endpoint(endpoint_url: str) -> bool:
    """True for the default endpoint and real AWS hosts; False for a local emulator."""
    if not endpoint_url:
        return True
    host = (urlsplit(endpoint_url).hostname or "").lower()
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


class SesTransport(Closing):
    """SES v2 ``SendEmail`` with ``Content.Raw``. Thread-safe; see the module docstring."""

    name = "ses"

    def __init__(
        self,
        *,
        client: SESV2Client,
        quota_client: SESClient | None = None,
        configuration_set: str = "",
        tags: Mapping[str, str] | None = None,
        endpoint_url: str = "",
    ) -> None:
        self._client = client
        self._quota_client = quota_client
        self._configuration_set = configuration_set
        self._tags = check_tags(tags or {}, source="NEWSLETTER_SES_MESSAGE_TAGS")
        self._endpoint_url = endpoint_url

    @classmethod
    def from_settings(cls, settings: Settings, *, concurrency: int) -> SesTransport:
        """Clients for ``settings``, with a connection pool of ``concurrency`` connections."""
        config = client_config(concurrency)
        session = boto3.session.Session()
        endpoint = settings.ses_endpoint_url or None
        region = settings.ses_region or None
        client = session.client("sesv2", region_name=region, endpoint_url=endpoint, config=config)
        quota_client = session.client(
            "ses", region_name=region, endpoint_url=endpoint, config=config
        )
        return cls(
            client=client,
            quota_client=quota_client,
            configuration_set=settings.ses_configuration_set,
            tags=settings.ses_message_tags,
            endpoint_url=settings.ses_endpoint_url,
        )

    def send(self, message: OutgoingMessage) -> str:
        """Send one raw message; returns SES's MessageId."""
        tags: list[MessageTagTypeDef] = [
            {"Name": n, "Value": v} for n, v in [*self._tags, *message.tags]
        ]
        params: SendEmailRequestTypeDef = {
            "FromEmailAddress": message.sender,
            "Destination": {"ToAddresses": list(message.recipients)},
            "Content": {"Raw": {"Data": message.raw}},
        }
        if tags:
            params["EmailTags"] = tags
        configuration_set = (
            self._configuration_set
            if message.configuration_set is None
            else message.configuration_set
        )
        if configuration_set:
            params["ConfigurationSetName"] = configuration_set
        try:
            response = self._client.send_email(**params)
        except ClientError as exc:
            raise classify_client_error(exc, sender_address=message.sender) from exc
        except BotoCoreError as exc:
            raise classify_botocore_error(exc) from exc
        return response["MessageId"]

    def quota(self) -> SendQuota | None:
        """``GetAccount``'s SendQuota; v1 ``GetSendQuota`` where GetAccount is missing (404).

        Numbers from a non-AWS endpoint are placeholders (moto says 1/s and 200 a day):
        they come back with ``real=False``.
        """
        real = is_aws_endpoint(self._endpoint_url)
        try:
            account = self._client.get_account()
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if status not in (403, 404) and code not in ("AccessDeniedException", "404"):
                raise classify_client_error(exc, sender_address="") from exc
            return self._v1_quota(real=real, why=f"GetAccount answered {status or code}")
        except BotoCoreError as exc:
            raise classify_botocore_error(exc) from exc
        q = account.get("SendQuota", {})
        return SendQuota(
            max_send_rate=float(q.get("MaxSendRate", 0.0)),
            max_24_hour_send=float(q.get("Max24HourSend", -1.0)),
            sent_last_24_hours=float(q.get("SentLast24Hours", 0.0)),
            real=real,
            source="sesv2 GetAccount",
        )

    def _v1_quota(self, *, real: bool, why: str) -> SendQuota | None:
        if self._quota_client is None:
            return None
        try:
            q = self._quota_client.get_send_quota()
        except ClientError as exc:
            log.warning("cannot read the SES sending quota (%s; GetSendQuota: %s)", why, exc)
            return None
        except BotoCoreError as exc:
            raise classify_botocore_error(exc) from exc
        return SendQuota(
            max_send_rate=float(q.get("MaxSendRate", 0.0)),
            max_24_hour_send=float(q.get("Max24HourSend", -1.0)),
            sent_last_24_hours=float(q.get("SentLast24Hours", 0.0)),
            real=real,
            source=f"ses GetSendQuota ({why})",
        )

    def close(self) -> None:
        """Close the HTTP connection pools."""
        self._client.close()
        if self._quota_client is not None:
            self._quota_client.close()

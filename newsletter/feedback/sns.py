"""Amazon SNS message verification: nothing from an SNS HTTP endpoint is trusted before this.

SES publishes bounces and complaints to an SNS topic, and SNS POSTs them to our endpoint as
JSON. Anyone can POST there, so every message is checked, in this order (cheap checks first,
so a forged message never makes us fetch anything):

1. it is a JSON object of a known ``Type`` with every signed field present as a string;
2. its ``TopicArn`` is one of ``settings.sns_topic_arns`` (an empty allowlist accepts none);
3. ``SignatureVersion`` is ``"1"`` (RSA PKCS#1 v1.5 with SHA1) or ``"2"`` (with SHA256);
4. ``SigningCertURL`` is ``https://sns.<region>.amazonaws.com/SimpleNotificationService-<hex>.pem``
   (no port, no userinfo, no query: the only form AWS uses, so a forged message cannot make
   us fetch any other path of an SNS host);
5. the certificate (fetched once per URL, then cached; a failed fetch is remembered for
   :data:`FAILURE_TTL_SECONDS`, so a flood of forged messages naming one URL fetches it once)
   is currently valid and its RSA key verifies the signature over the canonical string.

:class:`SnsVerifier` takes the fetcher and the URL check as arguments so that tests can serve a
certificate they generate from a local server; the verification itself is the same code.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from newsletter.errors import NewsletterError

#: Host names SNS signs from: ``sns.<region>.amazonaws.com`` (and the China partition).
SNS_HOST_RE = re.compile(r"^sns\.[a-z]{2}(-[a-z]+)+-\d\.amazonaws\.com(\.cn)?$")
#: The path of every certificate SNS signs with.
SNS_CERT_PATH_RE = re.compile(r"^/SimpleNotificationService-[0-9a-f]{1,64}\.pem$")

#: The fields a (un)subscription confirmation signs, in the order of the canonical string.
_CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
#: The fields each message type signs, in the order of the canonical string.
SIGNED_FIELDS: dict[str, tuple[str, ...]] = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION_FIELDS,
    "UnsubscribeConfirmation": _CONFIRMATION_FIELDS,
}
#: Optional signed fields: included in the canonical string only when present.
_OPTIONAL = {"Subject"}
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
FETCH_TIMEOUT_SECONDS = 10.0
MAX_CERTIFICATE_BYTES = 64 * 1024
#: How long a certificate URL that could not be fetched or read is refused without a fetch.
FAILURE_TTL_SECONDS = 300.0

Fetcher = Callable[[str], bytes]
UrlCheck = Callable[[str], bool]


class SnsVerificationError(NewsletterError):
    """An SNS message that is malformed, foreign, or not signed by SNS. Nothing is trusted."""


@dataclass(frozen=True)
class SnsMessage:
    """A verified SNS message."""

    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    subject: str | None = None
    subscribe_url: str | None = None
    token: str | None = None


def is_sns_url(url: str) -> bool:
    """True for ``https://sns.<region>.amazonaws.com/...`` URLs: no port, no userinfo."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and port is None
        and parts.username is None
        and parts.password is None
        and parts.hostname is not None
        and SNS_HOST_RE.match(parts.hostname) is not None
    )


def is_sns_certificate_url(url: str) -> bool:
    """:func:`is_sns_url`, path ``/SimpleNotificationService-<hex>.pem``, no query or fragment."""
    if not is_sns_url(url):
        return False
    parts = urlsplit(url)
    return (
        not parts.query
        and not parts.fragment
        and "?" not in url
        and "#" not in url
        and SNS_CERT_PATH_RE.match(parts.path) is not None
    )


def fetch_https(url: str) -> bytes:
    """GET ``url`` (no redirects, bounded size); raises :class:`SnsVerificationError`."""
    try:
        with httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        raise SnsVerificationError(f"cannot fetch {url}: {exc}") from None
    if response.status_code != 200:
        raise SnsVerificationError(f"cannot fetch {url}: HTTP {response.status_code}")
    return response.content[: MAX_CERTIFICATE_BYTES + 1]


def parse_body(body: bytes | str) -> dict[str, Any]:
    """The JSON object an SNS POST carries; :class:`SnsVerificationError` if it is not one."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SnsVerificationError("the body is not JSON") from None
    except RecursionError:  # e.g. "[" * 2000: malformed like any other body, not a crash
        raise SnsVerificationError("the body is nested too deeply") from None
    if not isinstance(data, dict):
        raise SnsVerificationError("the body is not a JSON object")
    return data


#: Lambda's SNS records spell two signed-envelope fields differently from the HTTP POST.
_LAMBDA_FIELDS = {"SigningCertUrl": "SigningCertURL", "UnsubscribeUrl": "UnsubscribeURL"}


def payload_from_lambda_record(record: object) -> dict[str, Any]:
    """The ``Sns`` object of a Lambda SNS record, in the form SNS POSTs (so it verifies alike).

    Lambda names ``SigningCertUrl`` what the POST names ``SigningCertURL`` and gives
    ``"Subject": null`` for a message without one (which is then not part of the signature).
    """
    sns = record.get("Sns") if isinstance(record, Mapping) else None
    if not isinstance(sns, Mapping):
        raise SnsVerificationError("the Lambda record has no Sns message")
    payload: dict[str, Any] = {}
    for key, value in sns.items():
        if value is None:
            continue
        payload[_LAMBDA_FIELDS.get(str(key), str(key))] = value
    return payload


def string_to_sign(payload: Mapping[str, Any]) -> bytes:
    """The canonical ``Key\\nValue\\n...`` string SNS signs for the message's type."""
    kind = payload.get("Type")
    if not isinstance(kind, str) or kind not in SIGNED_FIELDS:
        raise SnsVerificationError(f"unknown SNS message type {kind!r}")
    out: list[str] = []
    for key in SIGNED_FIELDS[kind]:
        value = payload.get(key)
        if value is None and key in _OPTIONAL:
            continue
        if not isinstance(value, str):
            raise SnsVerificationError(f"the SNS message has no {key}")
        out.append(f"{key}\n{value}\n")
    return "".join(out).encode("utf-8")


class CertificateCache:
    """Signing certificates by URL, fetched once each (bounded, thread-safe, LRU).

    A URL whose fetch or parse failed is refused without a new fetch for ``failure_ttl``
    seconds (bounded too), so a forged message repeated many times costs one request.
    """

    def __init__(
        self,
        fetch: Fetcher = fetch_https,
        *,
        max_entries: int = 16,
        failure_ttl: float = FAILURE_TTL_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._max = max_entries
        self._failure_ttl = failure_ttl
        self._monotonic = monotonic
        self._certs: OrderedDict[str, x509.Certificate] = OrderedDict()
        self._failures: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.fetches = 0

    def get(self, url: str) -> x509.Certificate:
        """The certificate at ``url``; :class:`SnsVerificationError` if it is not one."""
        with self._lock:
            cert = self._certs.get(url)
            if cert is not None:
                self._certs.move_to_end(url)
                return cert
            failed = self._failures.get(url)
            if failed is not None:
                if self._monotonic() - failed[0] < self._failure_ttl:
                    raise SnsVerificationError(f"{failed[1]} (cached failure)")
                del self._failures[url]
        try:
            cert = self._load(url)
        except SnsVerificationError as exc:
            with self._lock:
                self._failures[url] = (self._monotonic(), str(exc))
                while len(self._failures) > self._max * 16:
                    self._failures.popitem(last=False)
            raise
        with self._lock:
            self._certs[url] = cert
            while len(self._certs) > self._max:
                self._certs.popitem(last=False)
        return cert

    def _load(self, url: str) -> x509.Certificate:
        self.fetches += 1
        data = self._fetch(url)
        if len(data) > MAX_CERTIFICATE_BYTES:
            raise SnsVerificationError("the signing certificate is too large")
        try:
            return x509.load_pem_x509_certificate(data)
        except ValueError:
            raise SnsVerificationError("the signing certificate is not a PEM certificate") from None


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SnsVerifier:
    """Verifies SNS messages for an allowlist of topic ARNs (see the module docstring)."""

    def __init__(
        self,
        topic_arns: Iterable[str],
        *,
        fetch: Fetcher = fetch_https,
        url_allowed: UrlCheck = is_sns_certificate_url,
        subscribe_url_allowed: UrlCheck = is_sns_url,
        clock: Callable[[], dt.datetime] = _utcnow,
        certificates: CertificateCache | None = None,
    ) -> None:
        self.topic_arns = frozenset(topic_arns)
        self._fetch = fetch
        self._url_allowed = url_allowed
        self._subscribe_url_allowed = subscribe_url_allowed
        self._clock = clock
        self.certificates = certificates or CertificateCache(fetch)

    def verify(self, payload: Mapping[str, Any]) -> SnsMessage:
        """The verified message; raises :class:`SnsVerificationError` on any doubt."""
        signed = string_to_sign(payload)
        topic = payload["TopicArn"]
        if topic not in self.topic_arns:
            raise SnsVerificationError(f"topic {topic!r} is not an accepted topic")
        version = payload.get("SignatureVersion")
        hash_factory = _HASHES.get(version) if isinstance(version, str) else None
        if hash_factory is None:
            raise SnsVerificationError(f"unsupported SignatureVersion {version!r}")
        cert_url = payload.get("SigningCertURL")
        if not isinstance(cert_url, str) or not self._url_allowed(cert_url):
            raise SnsVerificationError(f"untrusted SigningCertURL {cert_url!r}")
        signature_b64 = payload.get("Signature")
        if not isinstance(signature_b64, str):
            raise SnsVerificationError("the SNS message has no Signature")
        try:
            signature = base64.b64decode(signature_b64, validate=True)
        except (binascii.Error, ValueError):
            raise SnsVerificationError("the Signature is not base64") from None
        cert = self.certificates.get(cert_url)
        now = self._clock()
        if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
            raise SnsVerificationError("the signing certificate is not valid now")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SnsVerificationError("the signing certificate has no RSA key")
        try:
            key.verify(signature, signed, padding.PKCS1v15(), hash_factory())
        except InvalidSignature:
            raise SnsVerificationError("the SNS signature does not verify") from None
        return SnsMessage(
            type=payload["Type"],
            message_id=payload["MessageId"],
            topic_arn=topic,
            message=payload["Message"],
            timestamp=payload["Timestamp"],
            subject=payload.get("Subject"),
            subscribe_url=payload.get("SubscribeURL"),
            token=payload.get("Token"),
        )

    def confirm_subscription(self, message: SnsMessage) -> None:
        """Visit the SubscribeURL of a verified SubscriptionConfirmation (only on an SNS host)."""
        if message.type != "SubscriptionConfirmation" or not message.subscribe_url:
            raise SnsVerificationError("not a subscription confirmation")
        if not self._subscribe_url_allowed(message.subscribe_url):
            raise SnsVerificationError(f"untrusted SubscribeURL {message.subscribe_url!r}")
        self._fetch(message.subscribe_url)

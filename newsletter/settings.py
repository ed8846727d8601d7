"""The one typed settings object, read from ``NEWSLETTER_*`` environment variables and ``.env``.

Nothing here is built at import: callers make a :class:`Settings` (usually via
:func:`load_settings`) and pass it down. Values a particular command needs are checked by
:meth:`Settings.require_*` helpers, which raise :class:`ConfigError` naming the variable.
"""

from __future__ import annotations

import json
import re
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Literal, get_origin

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from newsletter.errors import ConfigError
from newsletter.text import has_controls

#: Secret keys shorter than this are refused: they sign unsubscribe and confirm links.
MIN_SECRET_KEY_LENGTH = 32
_PLACEHOLDER_SECRETS = {"changeme", "secret", "change-me", "dev", "test"}
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def _hex_color_problem(value: str) -> str | None:
    if _HEX_COLOR.match(value.strip()):
        return None
    return f"must be a hex colour like #1a73e8, got {value!r}"


def check_hex_color(value: str, variable: str) -> str:
    """``value`` stripped when it is a hex colour (``#abc``, ``#aabbcc``), else
    :class:`ConfigError` naming ``variable``. The settings validate their colours with the
    same rule; the renderer checks again, for settings built without validation."""
    problem = _hex_color_problem(value)
    if problem is not None:
        raise ConfigError(f"{variable} {problem}")
    return value.strip()


#: A list setting: a JSON list (``["a", "b"]``) or comma-separated values (``a,b``), as
#: people write them. ``NoDecode``: pydantic-settings would otherwise insist on JSON and fail
#: with a traceback before any validator runs.
TextList = Annotated[list[str], NoDecode]
#: A mapping setting: a JSON object or ``key=value`` pairs separated by commas.
TextMap = Annotated[dict[str, str], NoDecode]
LIST_FORMS = 'a JSON list (["a", "b"]) or comma-separated values (a,b)'
MAP_FORMS = 'a JSON object ({"k": "v"}) or key=value pairs separated by commas (k=v,k2=v2)'


def split_list(value: object) -> object:
    """A list setting's text as a list: JSON when it starts with ``[``, else split at commas
    (blank parts dropped; "" is the empty list). Anything else is left to validation."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"expects {LIST_FORMS}; the JSON does not parse: {exc.msg}") from None
    return [part.strip() for part in text.split(",") if part.strip()]


def split_map(value: object) -> object:
    """A mapping setting's text as a dict: JSON when it starts with ``{``, else ``k=v`` pairs
    separated by commas ("" is the empty mapping). Anything else is left to validation."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"expects {MAP_FORMS}; the JSON does not parse: {exc.msg}") from None
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, equals, item = part.partition("=")
        if not equals or not key.strip():
            raise ValueError(f"expects {MAP_FORMS}; {part!r} is not key=value")
        pairs[key.strip()] = item.strip()
    return pairs


class Settings(BaseSettings):
    """Every setting of the service. Environment: ``NEWSLETTER_<FIELD>`` (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_prefix="NEWSLETTER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -----------------------------------------------------------------------
    database_url: str = Field(
        default="sqlite:///newsletter.db",
        description="SQLAlchemy URL; SQLite file in the working directory by default.",
    )

    # --- identity and links ------------------------------------------------------------
    base_url: str = Field(default="", description="Public https URL of the subscriber web service.")
    sender: str = Field(default="", description='From address, e.g. "AI日报 <news@example.com>".')
    reply_to: str = ""
    secret_key: str = Field(default="", description="Signs unsubscribe and confirm tokens.")
    old_secret_keys: TextList = Field(
        default_factory=list,
        description="Previous secret keys, still accepted for unsubscribe tokens.",
    )
    default_list: str = "daily"
    unsubscribe_mailto: str = Field(
        default="", description="Optional mailto address for List-Unsubscribe."
    )
    confirm_token_days: int = 7

    # --- branding ------------------------------------------------------------------------
    newsletter_name: str = "AI 日报"
    language: str = "zh-CN"
    brand_color: str = "#1a73e8"
    accent_color: str = "#fff7e0"
    logo_url: str = ""
    # No default: a real send refuses until the sender's own address is set.
    postal_address: str = ""
    editors: TextList = Field(default_factory=list, description="Default recipients of test sends.")

    # --- sending -------------------------------------------------------------------------
    transport: Literal["ses", "smtp", "file"] = "ses"
    ses_endpoint_url: str = ""
    ses_region: str = "us-east-1"
    ses_configuration_set: str = ""
    ses_message_tags: TextMap = Field(
        default_factory=dict,
        description="Tags of every SES message: a JSON object or key=value,key2=value2.",
    )
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    file_outbox: Path = Path("outbox")
    send_rate: float = Field(default=14.0, gt=0, description="Messages per second at most.")
    send_concurrency: int = Field(default=8, ge=1, le=256)
    send_max_attempts: int = Field(default=5, ge=1)
    send_processes: int = Field(
        default=0,
        ge=0,
        le=16,
        description="Child processes that make the provider's calls (0: the sending process).",
    )

    # --- web service and daily job -----------------------------------------------------
    daily_source: str = Field(default="", description="Digest file or feed URL for `daily`.")
    sns_topic_arns: TextList = Field(default_factory=list)
    ssm_path: str = Field(
        default="",
        description="On AWS Lambda: SSM Parameter Store path holding settings (e.g. secret_key).",
    )
    soft_bounce_limit: int = Field(default=3, ge=1)
    breaker_window_seconds: float = Field(
        default=1800.0, gt=0, description="The breaker's sliding window over a running send."
    )
    breaker_complaint_rate: float = Field(
        default=0.0008, gt=0, le=1, description="Complaints a send may draw before it pauses."
    )
    breaker_bounce_rate: float = Field(
        default=0.04, gt=0, le=1, description="Hard bounces a send may draw before it pauses."
    )
    breaker_min_sent: int = Field(
        default=200, ge=1, description="Messages in the window before the breaker judges."
    )
    reconcile_wait_seconds: float | None = Field(
        default=None,
        ge=0,
        le=3600,
        description="How long a send waits for SES events of the rows a crash left uncertain "
        "before it resends those SES never saw (default 120 when NEWSLETTER_SNS_TOPIC_ARNS "
        "is set, else 0: no event publishing, resend or skip as --uncertain says).",
    )
    subscribe_rate_per_address: int = 3
    subscribe_rate_per_client: int = 10
    subscribe_rate_window_seconds: int = 3600
    # Feedback: open and click tracking (per list, off by default)
    ses_tracking_configuration_set: str = Field(
        default="",
        description="SES configuration set with open and click tracking, for tracked lists.",
    )

    # --- hostile input -------------------------------------------------------------------
    trusted_proxies: TextList = Field(
        default_factory=list,
        description="Addresses (or networks) whose X-Forwarded-For `serve` believes.",
    )

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        # A NUL or an escape sequence in a setting would reach headers, pages and the database.
        texts = [str(value)] if isinstance(value, str | Path) else []
        if isinstance(value, list):
            texts = [v for v in value if isinstance(v, str)]
        elif isinstance(value, dict):
            texts = [str(v) for kv in value.items() for v in kv]
        # Tab and line breaks count too: every setting is one line.
        if any(has_controls(t) for t in texts):
            raise ValueError("contains a control character (NUL, escape, line break, ...)")
        return value

    @field_validator(
        "old_secret_keys",
        "editors",
        "sns_topic_arns",
        "trusted_proxies",
        "media_allow_hosts",
        "drop_sections",
        mode="before",
    )
    @classmethod
    def _list_as_written(cls, value: object) -> object:
        return split_list(value)

    @field_validator("ses_message_tags", mode="before")
    @classmethod
    def _map_as_written(cls, value: object) -> object:
        return split_map(value)

    # --- Images --------------------------------------------------------------------------
    media_fetch: bool = Field(
        default=True,
        description="Fetch, convert and host the issue's images at render; false for offline use.",
    )
    media_store: Literal["local", "s3"] = "local"
    media_dir: Path = Field(
        default=Path("media"), description="Folder of the local media store (`serve` at /media)."
    )
    media_base_url: str = Field(
        default="",
        description="Public URL of stored images (a CDN); default BASE_URL/media or the bucket.",
    )
    media_s3_bucket: str = ""
    media_s3_region: str = "us-east-1"
    media_s3_endpoint_url: str = Field(default="", description="A local S3 (moto) for tests.")
    media_timeout_seconds: float = Field(default=10.0, gt=0, description="Per image, all hops.")
    media_max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    media_max_redirects: int = Field(default=5, ge=0, le=20)
    media_max_pixels: int = Field(
        default=40_000_000, ge=1, description="Decoded pixels at most (decompression bombs)."
    )
    media_allow_hosts: TextList = Field(
        default_factory=list,
        description="host:port fetched although its address is not public (tests).",
    )

    # --- Sending at scale: the SQS fan-out on AWS (see README, "Sending at scale") -------
    send_queue_url: str = Field(
        default="", description="SQS queue of send slices; set: `daily` fans the send out."
    )
    send_dead_letter_queue_url: str = Field(
        default="", description="Where slices that kept failing land (`send status` shows it)."
    )
    sqs_endpoint_url: str = ""
    send_worker_concurrency: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="The worker function's MaximumConcurrency: slices are sized for its share.",
    )
    send_slice_seconds: float = Field(
        default=300.0,
        gt=0,
        le=600,
        description="A slice's planned length at one worker's share of the rate (Lambda: 900 s).",
    )

    # --- checks for values a command needs ---------------------------------------------
    def require_secret_key(self) -> str:
        """The secret key, or :class:`ConfigError` when missing or unsafe."""
        key = self.secret_key
        if not key:
            raise ConfigError("NEWSLETTER_SECRET_KEY is not set: it signs unsubscribe links")
        if key.lower() in _PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigError(
                f"NEWSLETTER_SECRET_KEY is unsafe: use at least {MIN_SECRET_KEY_LENGTH} random "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return key

    def require_base_url(self) -> str:
        """The public base URL without a trailing slash; http is allowed only on loopback."""
        url = self.base_url.rstrip("/")
        if not url:
            raise ConfigError("NEWSLETTER_BASE_URL is not set: links in emails point there")
        local = url.startswith(("http://localhost", "http://127.0.0.1", "http://[::1]"))
        if not (url.startswith("https://") or local):
            raise ConfigError(f"NEWSLETTER_BASE_URL must be an https URL, got {url!r}")
        return url

    def require_sender(self) -> str:
        """The From header value; must contain one valid-looking address."""
        if not self.sender:
            raise ConfigError("NEWSLETTER_SENDER is not set: it is the From address of every email")
        _, addr = parseaddr(self.sender)
        if "@" not in addr or any(c in self.sender for c in "\r\n"):
            raise ConfigError(f"NEWSLETTER_SENDER is not an email address: {self.sender!r}")
        return self.sender

    @property
    def reconcile_wait(self) -> float:
        """Seconds to wait for SES events of uncertain rows (see ``reconcile_wait_seconds``)."""
        if self.reconcile_wait_seconds is not None:
            return self.reconcile_wait_seconds
        return 120.0 if self.sns_topic_arns else 0.0

    @property
    def sender_address(self) -> str:
        """The bare address part of :attr:`sender`."""
        return parseaddr(self.sender)[1]

    # --- validation of the branding colours (they go into the emails' CSS) --------------
    @field_validator("brand_color", "accent_color")
    @classmethod
    def _hex_color(cls, value: str) -> str:
        problem = _hex_color_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value.strip()

    # Digest import
    drop_sections: TextList = Field(
        default_factory=list,
        description="Regular expressions; sections whose heading matches one are left out of "
        "an import (with their sub-sections), e.g. an advertising section. A pattern with a "
        "comma needs the JSON list form.",
    )

    @field_validator("drop_sections")
    @classmethod
    def _check_drop_sections(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from None
        return patterns


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment (and ``.env``).

    Any malformed value raises :class:`ConfigError` with one line naming the variable and
    what it expects (never the value: it may be a secret).
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(settings_error_line(exc)) from None
    except SettingsError as exc:
        # Raised while *reading* a source (a value it could not decode), before validation.
        found = re.search(r'field "(\w+)"', str(exc))
        variable = f"NEWSLETTER_{found[1].upper()}" if found else "a NEWSLETTER_* setting"
        expects = _expects(found[1] if found else "")
        raise ConfigError(f"{variable}: cannot be read ({expects})") from None


def _expects(field: str) -> str:
    """What the setting ``field`` takes, in words."""
    info = Settings.model_fields.get(field)
    origin = get_origin(info.annotation) if info is not None else None
    if origin is dict:
        return f"expects {MAP_FORMS}"
    if origin is list:
        return f"expects {LIST_FORMS}"
    return "see README, Settings"


def settings_error_line(exc: ValidationError) -> str:
    """One line of the first error of ``exc``: ``NEWSLETTER_<FIELD>: <what it expects>``
    (the item's position for an item of a list or mapping)."""
    err = exc.errors(include_url=False)[0]
    field, *inside = (str(p) for p in err["loc"])
    message = str(err["msg"]).removeprefix("Value error, ")
    where = f" (item {'.'.join(inside)})" if inside else ""
    return f"NEWSLETTER_{field.upper()}{where}: {message}"

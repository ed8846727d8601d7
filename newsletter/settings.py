"""The one typed settings object, read from ``NEWSLETTER_*`` environment variables and ``.env``.

Nothing here is built at import: callers make a :class:`Settings` (usually via
:func:`load_settings`) and pass it down. Values a particular command needs are checked by
:meth:`Settings.require_*` helpers, which raise :class:`ConfigError` naming the variable.
"""

from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from newsletter.errors import ConfigError

#: Secret keys shorter than this are refused: they sign unsubscribe and confirm links.
MIN_SECRET_KEY_LENGTH = 32
_PLACEHOLDER_SECRETS = {"changeme", "secret", "change-me", "dev", "test"}


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
    old_secret_keys: list[str] = Field(
        default_factory=list,
        description="Previous secret keys, still accepted for unsubscribe tokens (JSON list).",
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
    postal_address: str = "Example Media Ltd, 1 Example Road, Example City"
    editors: list[str] = Field(
        default_factory=list, description="Default recipients of test sends."
    )

    # --- sending -------------------------------------------------------------------------
    transport: Literal["ses", "smtp", "file"] = "ses"
    ses_endpoint_url: str = ""
    ses_region: str = "us-east-1"
    ses_configuration_set: str = ""
    ses_message_tags: dict[str, str] = Field(default_factory=dict)
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    file_outbox: Path = Path("outbox")
    send_rate: float = Field(default=14.0, gt=0, description="Messages per second at most.")
    send_concurrency: int = Field(default=8, ge=1, le=256)
    send_max_attempts: int = Field(default=5, ge=1)

    # --- web service and daily job -----------------------------------------------------
    daily_source: str = Field(default="", description="Digest file or feed URL for `daily`.")
    sns_topic_arns: list[str] = Field(default_factory=list)
    ssm_path: str = Field(
        default="",
        description="On AWS Lambda: SSM Parameter Store path holding settings (e.g. secret_key).",
    )
    soft_bounce_limit: int = Field(default=3, ge=1)
    subscribe_rate_per_address: int = 3
    subscribe_rate_per_client: int = 10
    subscribe_rate_window_seconds: int = 3600

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
    def sender_address(self) -> str:
        """The bare address part of :attr:`sender`."""
        return parseaddr(self.sender)[1]


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment; a malformed value raises :class:`ConfigError`."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"NEWSLETTER_{field.upper()}: {err['msg']}") from None

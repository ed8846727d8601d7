"""Settings on AWS Lambda: the environment, plus SSM Parameter Store under ``ssm_path``.

Secrets (the database URL, the secret key) are SecureString parameters: they are read and
decrypted at run time rather than written into the function's environment, where anyone
with read access to the function could see them. Each parameter directly under the path is
one setting, named like the field (``database_url`` or ``database-url``); list and dict
settings hold JSON. An unknown name is an error, so a typo does not go unnoticed.
"""

from __future__ import annotations

import json
import typing
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from newsletter.errors import ConfigError
from newsletter.settings import Settings, load_settings

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


def _field(name: str) -> str:
    field = name.rsplit("/", 1)[-1].lower().replace("-", "_")
    if field not in Settings.model_fields or field == "ssm_path":
        raise ConfigError(f"SSM parameter {name}: no such setting {field!r}")
    return field


def _value(field: str, raw: str) -> Any:
    origin = typing.get_origin(Settings.model_fields[field].annotation)
    if origin in (list, dict):
        try:
            return json.loads(raw)
        except ValueError:
            raise ConfigError(f"SSM parameter for {field}: not JSON") from None
    return raw


def ssm_overrides(path: str, *, client: SSMClient | None = None) -> dict[str, Any]:
    """The settings stored directly under ``path`` (decrypted), by field name."""
    ssm = client if client is not None else boto3.client("ssm")
    out: dict[str, Any] = {}
    try:
        pages = ssm.get_paginator("get_parameters_by_path").paginate(
            Path=path.rstrip("/") or "/", Recursive=False, WithDecryption=True
        )
        for page in pages:
            for parameter in page.get("Parameters", []):
                field = _field(parameter["Name"])
                out[field] = _value(field, parameter["Value"])
    except (BotoCoreError, ClientError) as exc:
        raise ConfigError(f"NEWSLETTER_SSM_PATH: cannot read {path}: {exc}") from None
    return out


def lambda_settings(*, client: SSMClient | None = None) -> Settings:
    """The environment's settings, with those in SSM under ``ssm_path`` taking precedence."""
    settings = load_settings()
    if not settings.ssm_path:
        return settings
    return load_settings(**ssm_overrides(settings.ssm_path, client=client))

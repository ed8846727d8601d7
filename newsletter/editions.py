"""Editions: several newsletters in one installation, each with its own day, language and list.

An edition owns its digests, items and issues (keyed by edition and day), and says how its
email looks and where it goes: name, language, list, From and Reply-To, colours and logo,
postal address, the source of its digest, its time zone and send time, its drop-sections
rules. A field it leaves unset (None) takes the ``NEWSLETTER_*`` setting of the same
meaning, so the default edition, which the migration and a fresh database start with,
is today's settings and nothing else.

The one rule every path follows: whatever renders or sends an issue uses
:func:`issue_settings` (the settings seen through the issue's edition), so the CLI, the
daily job, the workers and the Lambda handlers cannot disagree on the edition's identity.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import PurePath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsletter.errors import ConfigError, InputError, NotFoundError, StateError
from newsletter.lifecycle import out_clause
from newsletter.models import DEFAULT_EDITION_SLUG, DigestRecord, Edition, Issue
from newsletter.settings import Settings, check_hex_color
from newsletter.text import has_controls

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_SEND_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

#: Edition fields an operator sets, and the setting each one overrides.
SETTING_OF: Mapping[str, str] = {
    "name": "newsletter_name",
    "language": "language",
    "list_name": "default_list",
    "sender": "sender",
    "reply_to": "reply_to",
    "brand_color": "brand_color",
    "accent_color": "accent_color",
    "logo_url": "logo_url",
    "postal_address": "postal_address",
    "source": "daily_source",
    "drop_sections": "drop_sections",
}
#: Fields of an edition with no setting behind them.
OWN_FIELDS = ("timezone", "send_at", "welcome")
#: The welcome email's Markdown at most.
WELCOME_MAX = 4000
FIELDS = (*SETTING_OF, *OWN_FIELDS)


@dataclass(frozen=True)
class EditionChange:
    """Field values to set on an edition: absent keys are left alone, an empty string (or
    an empty list for ``drop_sections``) goes back to the setting."""

    values: Mapping[str, Any]


def check_slug(slug: str) -> str:
    """A slug is 1-40 lowercase letters, digits, ``-`` or ``_`` (it is part of URLs)."""
    if not _SLUG.match(slug):
        raise InputError(
            f"edition slug {slug!r}: use 1-40 lowercase letters, digits, '-' or '_' (e.g. cn, en)"
        )
    return slug


def _check_value(name: str, value: Any) -> Any:
    """The value for field ``name``, validated; None (unset) for an empty one."""
    if name == "drop_sections":
        patterns = list(value or [])
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise InputError(
                    f"--drop-section: not a regular expression: {pattern!r} ({exc})"
                ) from None
        return patterns or None
    if value is None:
        return None
    text = str(value).strip()
    option = "--" + name.replace("_name", "").replace("_", "-")
    if name == "welcome":  # Markdown: several lines
        if has_controls(text.replace("\n", " ")):
            raise InputError(f"{option}: contains a control character")
        if len(text) > WELCOME_MAX:
            raise InputError(f"{option}: longer than {WELCOME_MAX} characters")
        return text or None
    if has_controls(text):
        raise InputError(f"{option}: contains a control character")
    if not text:
        return None
    if name == "language" and not _LANGUAGE.match(text):
        raise InputError(f"{option}: not a language tag like zh-CN or en: {text!r}")
    if name == "timezone":
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"{option}: not a time zone like Asia/Shanghai: {text!r}") from None
    if name == "send_at" and not _SEND_AT.match(text):
        raise InputError(f"{option}: a local time HH:MM (24 h), got {text!r}")
    if name in ("brand_color", "accent_color"):
        try:
            return check_hex_color(text, option)
        except ConfigError as exc:
            raise InputError(str(exc)) from None
    if name in ("sender", "reply_to") and "@" not in parseaddr(text)[1]:
        raise InputError(f"{option}: not an email address: {text!r}")
    if name == "logo_url" and not text.startswith(("https://", "http://")):
        raise InputError(f"{option}: an http(s) URL, got {text!r}")
    if name == "source" and "{" in text:
        source_for_day(text, dt.date(2000, 1, 2))  # a template that does not fill is refused now
    return text


def _apply(edition: Edition, change: EditionChange) -> None:
    for name, value in change.values.items():
        if name not in FIELDS:
            raise InputError(f"an edition has no field {name!r}")
        setattr(edition, name, _check_value(name, value))


# --- finding editions ----------------------------------------------------------------------


def default_edition(session: Session) -> Edition:
    """The default edition; made (from the settings alone) when the database has none."""
    edition = session.scalar(select(Edition).where(Edition.is_default.is_(True)).limit(1))
    if edition is not None:
        return edition
    edition = session.scalar(select(Edition).where(Edition.slug == DEFAULT_EDITION_SLUG))
    if edition is None:
        edition = Edition(slug=DEFAULT_EDITION_SLUG)
        session.add(edition)
    edition.is_default = True
    session.flush()
    return edition


def get_edition(session: Session, slug: str | None = None) -> Edition:
    """The edition ``slug`` (None: the default one); :class:`NotFoundError` naming the known
    slugs when there is no such edition."""
    if slug is None:
        return default_edition(session)
    edition = session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None and slug == DEFAULT_EDITION_SLUG:
        # The settings-only edition, made on first use like when no slug is given.
        fallback = default_edition(session)
        edition = fallback if fallback.slug == slug else None
    if edition is None:
        known = ", ".join(e.slug for e in list_editions(session))
        raise NotFoundError(f"no edition {slug!r} (editions: {known}); see `newsletter editions`")
    return edition


def list_editions(session: Session) -> list[Edition]:
    """Every edition, the default first, then by slug (the default one is made if missing)."""
    default_edition(session)
    return list(session.scalars(select(Edition).order_by(Edition.is_default.desc(), Edition.slug)))


def edition_for_path(slugs: Sequence[str], path: PurePath, *, default: str) -> str:
    """The edition a file of a site's content tree belongs to: the one whose slug names one
    of its folders (``content/en/2025-07/2025-07-01.md`` is ``en``'s; the nearest folder
    wins), else ``default``."""
    known = set(slugs)
    for folder in reversed(path.parent.parts):
        if folder.lower() in known:
            return folder.lower()
    return default


def edition_of_list(session: Session, settings: Settings, list_name: str) -> Edition | None:
    """The edition that sends to ``list_name`` (the default one first), or None."""
    for edition in list_editions(session):
        if (edition.list_name or settings.default_list) == list_name:
            return edition
    return None


# --- managing editions ---------------------------------------------------------------------


def add_edition(session: Session, slug: str, *, change: EditionChange) -> Edition:
    """A new edition ``slug`` with the given fields; :class:`StateError` if the slug is taken."""
    check_slug(slug)
    default_edition(session)
    if session.scalar(select(Edition.id).where(Edition.slug == slug)) is not None:
        raise StateError(f"edition {slug!r} exists: change it with `newsletter editions update`")
    edition = Edition(slug=slug, is_default=False)
    _apply(edition, change)
    session.add(edition)
    session.flush()
    return edition


def update_edition(
    session: Session,
    slug: str,
    *,
    change: EditionChange,
    new_slug: str | None = None,
    make_default: bool = False,
) -> Edition:
    """Change the fields of edition ``slug`` (and its slug); ``make_default`` makes it the
    edition that commands without ``--edition`` use."""
    edition = get_edition(session, slug)
    _apply(edition, change)
    if new_slug is not None and new_slug != edition.slug:
        check_slug(new_slug)
        out = select(Issue.id).where(Issue.edition_id == edition.id, out_clause()).limit(1)
        if session.scalar(out) is not None:
            # Sent emails link to /archive/<slug>/...: a new slug would break every one.
            raise StateError(
                f"edition {slug!r} has sent issues, whose emails link to its archive under "
                f"/archive/{slug}/: its slug stays"
            )
        if session.scalar(select(Edition.id).where(Edition.slug == new_slug)) is not None:
            raise StateError(f"edition {new_slug!r} exists")
        edition.slug = new_slug
    if make_default and not edition.is_default:
        for other in session.scalars(select(Edition).where(Edition.is_default.is_(True))):
            other.is_default = False
        session.flush()
        edition.is_default = True
    session.flush()
    return edition


def remove_edition(session: Session, slug: str) -> None:
    """Remove an edition with no issues (its imported digests go with it). The default
    edition and an edition with issues (the ledger and archive refer to them) stay."""
    edition = get_edition(session, slug)
    if edition.is_default:
        raise StateError(
            f"edition {slug!r} is the default: make another the default first "
            "(`newsletter editions update OTHER --default`)"
        )
    issues = session.scalar(select(func.count()).where(Issue.edition_id == edition.id)) or 0
    if issues:
        raise StateError(f"edition {slug!r} has {issues} issue(s): it cannot be removed")
    session.delete(edition)
    session.flush()


# --- what an edition means for rendering, sending and scheduling ---------------------------


def edition_settings(settings: Settings, edition: Edition) -> Settings:
    """``settings`` seen through ``edition``: every field it sets replaces the setting."""
    update = {
        setting: getattr(edition, field)
        for field, setting in SETTING_OF.items()
        if getattr(edition, field) is not None
    }
    return settings.model_copy(update=update) if update else settings


def issue_settings(settings: Settings, issue: Issue) -> Settings:
    """The settings an issue is rendered and sent with: through its edition (an issue made
    in memory without one, for a preview or a benchmark, takes the settings as they are)."""
    edition: Edition | None = issue.edition
    return settings if edition is None else edition_settings(settings, edition)


def list_name_of(settings: Settings, edition: Edition) -> str:
    """The list the edition's issues go to."""
    return edition.list_name or settings.default_list


def zone_of(edition: Edition) -> ZoneInfo:
    """The edition's time zone (UTC when unset)."""
    return ZoneInfo(edition.timezone or "UTC")


def local_date(edition: Edition, now: dt.datetime) -> dt.date:
    """The edition's day at the instant ``now`` (aware), in its own time zone."""
    return now.astimezone(zone_of(edition)).date()


def send_time(edition: Edition) -> dt.time | None:
    """The local time from which the day's issue goes out, None for "whenever `daily` runs"."""
    if not edition.send_at:
        return None
    hours, minutes = edition.send_at.split(":")
    return dt.time(int(hours), int(minutes))


def is_due(edition: Edition, now: dt.datetime) -> bool:
    """Whether the edition's issue of its local day may go out at ``now``."""
    at = send_time(edition)
    return at is None or now.astimezone(zone_of(edition)).time() >= at


def source_for_day(source: str, day: dt.date) -> str:
    """``source`` with ``{date}`` (``2025-07-01``) or ``{date:%Y-%m}`` filled in with ``day``;
    a source without braces is returned as it is."""
    if "{" not in source:
        return source
    try:
        return source.format(date=day)
    except (KeyError, IndexError, ValueError) as exc:
        raise InputError(
            f"the source template {source!r} does not fill in: use {{date}} or "
            f"{{date:%Y-%m}} ({exc})"
        ) from None


def edition_source(settings: Settings, edition: Edition, day: dt.date) -> str:
    """Where the edition's digest of ``day`` comes from ("" when it has no source)."""
    source = edition.source or settings.daily_source
    return source_for_day(source, day) if source else ""


def has_content(session: Session, edition: Edition) -> bool:
    """Whether the edition has imported digests."""
    query = select(DigestRecord.date).where(DigestRecord.edition_id == edition.id).limit(1)
    return session.scalar(query) is not None


def edition_dict(edition: Edition, settings: Settings) -> dict[str, Any]:
    """The JSON form: the stored fields, and what each one comes to with the settings."""
    effective = edition_settings(settings, edition)
    stored = {name: getattr(edition, name) for name in FIELDS}
    return {
        "slug": edition.slug,
        "default": edition.is_default,
        **stored,
        "effective": {
            **{name: getattr(effective, setting) for name, setting in SETTING_OF.items()},
            "timezone": edition.timezone or "UTC",
            "send_at": edition.send_at,
            "welcome": edition.welcome,
        },
    }

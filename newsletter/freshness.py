"""Whether an issue and its rendering are what they were made from.

An issue records the version of its day's digest (:func:`digest_hash`); a rendering records
its inputs (:func:`render_inputs`): the settings it bakes in, seen through the issue's
edition, and the issue's own content. A rendering whose inputs differ from today's is
stale (:func:`stale_reason`) and is never sent as it is: the send re-renders it, or refuses
when asked not to. An issue that is out is frozen: its rendering is what was sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from newsletter.editions import issue_settings
from newsletter.lifecycle import is_out
from newsletter.models import Issue
from newsletter.settings import Settings

#: The settings a rendering bakes in (brand, identity, links, images).
RENDER_SETTINGS = (
    "newsletter_name",
    "language",
    "brand_color",
    "accent_color",
    "logo_url",
    "postal_address",
    "base_url",
    "sender",
    "reply_to",
    "media_fetch",
    "media_store",
    "media_base_url",
    "media_s3_bucket",
)


def _hash(value: Any) -> str:
    data = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def digest_hash(
    *, title: str, headline: str, tagline: str, summary: str, sections: list[Any]
) -> str:
    """The version of a day's digest: equal for equal content, whatever the import."""
    return _hash([title, headline, tagline, summary, sections])


def issue_content_hash(issue: Issue) -> str:
    """The version of what an issue shows (its text, sections and the editor's note)."""
    return _hash(
        [
            issue.subject,
            issue.preheader,
            issue.summary,
            issue.headline,
            issue.tagline,
            issue.sections,
            (issue.edits or {}).get("note", ""),
        ]
    )


def render_inputs(issue: Issue, settings: Settings) -> dict[str, Any]:
    """What a rendering of ``issue`` made now is made from."""
    seen = issue_settings(settings, issue)
    values: dict[str, Any] = {name: getattr(seen, name) for name in RENDER_SETTINGS}
    values = json.loads(json.dumps(values, default=str))  # JSON-safe, as stored
    return {"settings": values, "issue": issue_content_hash(issue)}


def _changes(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    out = []
    if stored.get("issue") != current.get("issue"):
        out.append("the issue changed")
    old, new = stored.get("settings") or {}, current.get("settings") or {}
    out.extend(
        f"NEWSLETTER_{name.upper()} changed"
        for name in RENDER_SETTINGS
        if old.get(name) != new.get(name)
    )
    return out


def stale_reason(issue: Issue, settings: Settings) -> str | None:
    """Why the stored rendering of ``issue`` no longer matches it or the settings, or None
    when it matches, when there is none, or when the issue is out (frozen)."""
    if issue.rendered_html is None or is_out(issue):
        return None
    if not issue.rendered_inputs:
        return "rendered before renderings recorded their settings"
    changes = _changes(issue.rendered_inputs, render_inputs(issue, settings))
    if not changes:
        return None
    return ", ".join(changes) + " since it was rendered"

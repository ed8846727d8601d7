"""Reading the sections of a composed issue (blocks of kind ``item`` and ``text``)."""

from __future__ import annotations

from typing import Any

from newsletter.models import Issue


def section_items(section: dict[str, Any]) -> list[dict[str, Any]]:
    """The items of one stored section."""
    return [b for b in section.get("blocks") or [] if b.get("kind") == "item"]


def issue_items(issue: Issue) -> list[dict[str, Any]]:
    """Every item of the issue, in order."""
    return [item for section in issue.sections for item in section_items(section)]

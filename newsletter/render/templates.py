"""The Jinja2 environment over ``emails/``: MJML templates are autoescaped, text ones are not."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from newsletter.render.links import first_url, link_views

#: The email templates (a top-level folder of the repository, beside the package).
EMAILS_DIR = Path(__file__).resolve().parents[2] / "emails"


@lru_cache(maxsize=4)
def environment(directory: Path = EMAILS_DIR) -> Environment:
    """The (cached) template environment; undefined variables are errors, not blanks.

    Filters: ``link_views`` (an item's links as label, host and URL) and ``first_url``.
    """
    env = Environment(
        loader=FileSystemLoader(directory),
        # MJML is markup: every value is escaped unless marked safe. Text parts (.txt.j2)
        # and the stylesheet (.css.j2, only settings-checked colours) are not HTML.
        autoescape=select_autoescape(enabled_extensions=("mjml.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["link_views"] = link_views
    env.filters["first_url"] = first_url
    return env


def render_template(name: str, context: dict[str, Any]) -> str:
    """Render one template of ``emails/`` with ``context``."""
    return environment().get_template(name).render(context)

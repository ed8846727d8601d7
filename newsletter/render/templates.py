"""The Jinja2 environment over the ``emails`` package: MJML templates are autoescaped, text
ones are not.

The templates are package data of the top-level ``emails`` package (installed with the
wheel), read through :mod:`importlib.resources`: no path is computed from this file's place.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from jinja2 import BaseLoader, Environment, StrictUndefined, TemplateNotFound, select_autoescape

from newsletter.render.links import first_url, link_views

#: The package whose data files are the email templates.
TEMPLATES_PACKAGE = "emails"
_SUFFIXES = (".j2",)


class ResourceLoader(BaseLoader):
    """Loads templates from a package's resources (flat: the names are file names)."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        resource = self.root.joinpath(template)
        if "/" in template or "\\" in template or not resource.is_file():
            raise TemplateNotFound(template)
        # Installed templates do not change while the process runs: always up to date.
        return resource.read_text(encoding="utf-8"), str(resource), lambda: True

    def list_templates(self) -> list[str]:
        return sorted(r.name for r in self.root.iterdir() if r.name.endswith(_SUFFIXES))


@lru_cache(maxsize=4)
def environment(package: str = TEMPLATES_PACKAGE) -> Environment:
    """The (cached) template environment; undefined variables are errors, not blanks.

    Filters: ``link_views`` (an item's links as label, host and URL) and ``first_url``.
    """
    env = Environment(
        loader=ResourceLoader(files(package)),
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
    """Render one template of the ``emails`` package with ``context``."""
    return environment().get_template(name).render(context)

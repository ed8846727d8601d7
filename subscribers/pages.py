"""The HTML pages: a Jinja2 environment over ``subscribers/templates`` and safe responses.

Every page is autoescaped, in the language of the settings it is made with (the service's,
or an edition's: :meth:`Pages.seen_as`), and sent with headers that keep it out of caches
and frames and forbid scripts (the pages need none): ``no-store`` because unsubscribe and
confirm pages come from personal links.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from newsletter.settings import Settings
from subscribers.messages import Messages, messages_for

TEMPLATES_DIR = Path(__file__).parent / "templates"
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_BRAND_COLOR = "#1a73e8"

#: No scripts, no plugins, no framing; inline styles and https images (archived issues).
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PRIVATE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "no-store"}
PUBLIC_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"}


def _environment(directory: Path) -> Environment:
    return Environment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    """Renders the page templates with the branding and messages of ``settings``.

    ``env`` is the Jinja2 environment to share (one is made over ``directory`` without it).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        directory: Path = TEMPLATES_DIR,
        env: Environment | None = None,
    ) -> None:
        self.messages: Messages = messages_for(settings.language)
        self.env = env if env is not None else _environment(directory)
        color = settings.brand_color.strip()
        self._globals: dict[str, Any] = {
            "lang": settings.language,
            "newsletter": settings.newsletter_name,
            "brand_color": color if _COLOR.match(color) else DEFAULT_BRAND_COLOR,
            "m": self.messages,
        }

    def seen_as(self, settings: Settings) -> Pages:
        """The same templates with the branding, language and messages of ``settings`` (an
        edition's); the environment, and so its compiled templates, is shared."""
        return Pages(settings, env=self.env)

    def html(self, template: str, **context: Any) -> str:
        """The rendered template."""
        return self.env.get_template(template).render(**self._globals, **context)

    def response(
        self, template: str, *, status_code: int = 200, public: bool = False, **context: Any
    ) -> HTMLResponse:
        """The template as a response with the security (and cache) headers."""
        headers = PUBLIC_HEADERS if public else PRIVATE_HEADERS
        return HTMLResponse(
            self.html(template, **context), status_code=status_code, headers=dict(headers)
        )

    def message(
        self,
        *,
        title: str,
        body: str,
        status_code: int = 200,
        link_url: str = "",
        link_text: str = "",
    ) -> HTMLResponse:
        """A page with a title and one paragraph (results and errors)."""
        return self.response(
            "message.html",
            status_code=status_code,
            title=title,
            body=body,
            link_url=link_url,
            link_text=link_text,
        )

    def invalid_link(self) -> HTMLResponse:
        """The plain 400 page for any bad, tampered, foreign or expired token: says no more."""
        m = self.messages
        return self.message(title=m.invalid_title, body=m.invalid_body, status_code=400)

    def not_found(self) -> HTMLResponse:
        """The 404 page."""
        m = self.messages
        return self.message(title=m.not_found_title, body=m.not_found_body, status_code=404)

"""The HTML pages: a Jinja2 environment over ``subscribers/templates`` and safe responses.

Every page is autoescaped, in the language of the settings it is made with (the service's,
or an edition's: :meth:`Pages.seen_as`, which also takes a reader's own language), light or
dark as the reader's system prefers, and sent with headers that keep it out of caches and
frames and forbid scripts (the pages need none): ``no-store`` because unsubscribe, confirm
and preference pages come from personal links. Error pages (404, invalid or expired links)
always offer a way on: the archive, the sign-up form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from newsletter.archive import image_sources
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


def content_security_policy(settings: Settings) -> str:
    """:data:`CONTENT_SECURITY_POLICY` that also admits the images of the configured media
    store when the core says it is served over http on loopback (``make demo``, tests)."""
    extra = image_sources(settings)
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(
        "img-src https: data:", "img-src https: data: " + " ".join(extra)
    )


def security_headers(settings: Settings, *, public: bool) -> dict[str, str]:
    """The headers of a page (``public``: cacheable for 5 minutes, else ``no-store``)."""
    base = PUBLIC_HEADERS if public else PRIVATE_HEADERS
    return {**base, "Content-Security-Policy": content_security_policy(settings)}


@dataclass(frozen=True)
class Button:
    """A one-button POST form of a message page: where it posts, its label, its element id
    and its hidden fields."""

    action: str
    label: str
    id: str = "action"
    fields: tuple[tuple[str, str], ...] = ()


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
        self._settings = settings
        self._headers = {
            True: security_headers(settings, public=True),
            False: security_headers(settings, public=False),
        }
        color = settings.brand_color.strip()
        self._globals: dict[str, Any] = {
            "lang": settings.language,
            "newsletter": settings.newsletter_name,
            "brand_color": color if _COLOR.match(color) else DEFAULT_BRAND_COLOR,
            "m": self.messages,
        }

    def seen_as(self, settings: Settings, *, language: str = "") -> Pages:
        """The same templates with the branding, language and messages of ``settings`` (an
        edition's), in ``language`` when given (a reader's own, as the core chose it); the
        environment, and so its compiled templates, is shared."""
        if language and language != settings.language:
            settings = settings.model_copy(update={"language": language})
        return Pages(settings, env=self.env)

    def headers(self, *, public: bool) -> dict[str, str]:
        """The security (and cache) headers of this service's pages."""
        return dict(self._headers[public])

    def html(self, template: str, **context: Any) -> str:
        """The rendered template."""
        return self.env.get_template(template).render(**self._globals, **context)

    def response(
        self, template: str, *, status_code: int = 200, public: bool = False, **context: Any
    ) -> HTMLResponse:
        """The template as a response with the security (and cache) headers."""
        return HTMLResponse(
            self.html(template, **context),
            status_code=status_code,
            headers=self.headers(public=public),
        )

    def message(
        self,
        *,
        title: str,
        body: str,
        status_code: int = 200,
        link_url: str = "",
        link_text: str = "",
        links: list[tuple[str, str]] | None = None,
        button: Button | None = None,
    ) -> HTMLResponse:
        """A page with a title and one paragraph (results and errors), an optional main link,
        further ``links`` ((url, text) pairs) and an optional ``button`` (a POST form)."""
        return self.response(
            "message.html",
            status_code=status_code,
            title=title,
            body=body,
            link_url=link_url,
            link_text=link_text,
            links=links or [],
            button=button,
        )

    def way_on(self) -> list[tuple[str, str]]:
        """The links every dead end offers: the archive and the sign-up form."""
        m = self.messages
        return [("/archive", m.home), ("/subscribe", m.subscribe_link)]

    def invalid_link(self) -> HTMLResponse:
        """The plain 400 page for any bad, tampered or foreign token: says no more about it,
        and offers the way on."""
        m = self.messages
        return self.message(
            title=m.invalid_title, body=m.invalid_body, status_code=400, links=self.way_on()
        )

    def expired_confirm(self, *, resend_action: str) -> HTMLResponse:
        """The 400 page of an expired confirm link: a button asking for a new one."""
        m = self.messages
        return self.message(
            title=m.expired_title,
            body=m.expired_body,
            status_code=400,
            button=Button(action=resend_action, label=m.resend_button, id="resend"),
            links=self.way_on(),
        )

    def not_found(self) -> HTMLResponse:
        """The 404 page, with the way on."""
        m = self.messages
        return self.message(
            title=m.not_found_title, body=m.not_found_body, status_code=404, links=self.way_on()
        )

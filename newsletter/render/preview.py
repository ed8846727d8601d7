"""``newsletter issue preview``: the rendered issue served on localhost for people to look at.

:func:`start_preview` serves a rendered email (``/`` the HTML, ``/text`` the plain text,
``/mobile`` the HTML in a 375 px frame) from a background thread and returns at once with the
URL; the caller decides how long to serve. Nothing here needs the network.
"""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from newsletter.errors import NewsletterError
from newsletter.models import Issue
from newsletter.render.issue import shown_rendering
from newsletter.render.personalize import archive_copy
from newsletter.render.rendered import RenderedEmail
from newsletter.settings import Settings

MOBILE_WIDTH = 375


class PreviewError(NewsletterError):
    """The preview server cannot start (e.g. the port is taken)."""


def preview_rendering(issue: Issue, settings: Settings) -> RenderedEmail:
    """What the preview shows: the bytes that were sent for an issue being sent or sent,
    else a fresh rendering (nothing stored); as the archive shows it (no recipient)."""
    rendered = shown_rendering(issue, settings)
    return archive_copy(rendered, archive_url=f"{settings.require_base_url()}/archive")


def _pages(rendered: RenderedEmail) -> dict[str, tuple[str, bytes]]:
    title = escape(rendered.subject)
    mobile = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f'<body style="margin:0;background:#888;text-align:center">'
        f'<iframe src="/" title="{title}" style="width:{MOBILE_WIDTH}px;height:100vh;'
        'border:0;background:#fff"></iframe></body></html>'
    )
    return {
        "/": ("text/html; charset=utf-8", rendered.html.encode("utf-8")),
        "/text": ("text/plain; charset=utf-8", rendered.text.encode("utf-8")),
        "/mobile": ("text/html; charset=utf-8", mobile.encode("utf-8")),
    }


class PreviewServer:
    """A running preview; :attr:`url` to visit, :meth:`close` (or ``with``) to stop."""

    def __init__(self, rendered: RenderedEmail, *, host: str, port: int) -> None:
        pages = _pages(rendered)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page = pages.get(self.path.split("?", 1)[0])
                if page is None:
                    self.send_error(404)
                    return
                content_type, body = page
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                # Requests are not logged: the preview's terminal shows only its URL.
                return

        try:
            self._server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise PreviewError(
                f"cannot serve on {host}:{port}: {exc.strerror}; choose another --port"
            ) from None
        self._server.daemon_threads = True
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def wait(self, seconds: float | None = None) -> None:
        """Block while serving: for ``seconds``, or until interrupted (Ctrl-C)."""
        self._thread.join(seconds)

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> PreviewServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_preview(
    rendered: RenderedEmail, *, host: str = "127.0.0.1", port: int = 0
) -> PreviewServer:
    """Serve ``rendered`` on ``host:port`` (0: any free port) from a background thread."""
    return PreviewServer(rendered, host=host, port=port)


def open_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser when there is one; False when there is none.

    On Linux without a display nothing is opened: a console browser would take over the
    terminal that shows the URL.
    """
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    try:
        return webbrowser.open(url, new=2)
    except webbrowser.Error:
        return False

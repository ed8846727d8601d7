"""``newsletter issue preview``: the rendered issue served on localhost for people to look at.

:func:`start_preview` serves a rendered email (``/`` the HTML, ``/text`` the plain text,
``/mobile`` the HTML in a 375 px frame, with links to the other copies) from a background
thread and returns at once with the URL; the caller decides how long to serve. Nothing here
needs the network.

Each page shows a reader's copy (:mod:`newsletter.render.reader`), chosen by the query:
``?lang=en`` another language than the edition's, ``?as=EMAIL`` one subscriber's personal
copy, ``?copy=public`` the web archive's copy; none of them shows an internal marker.
"""

from __future__ import annotations

import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import parse_qsl, urlencode

from newsletter.errors import NewsletterError
from newsletter.models import Issue
from newsletter.render.issue import shown_rendering
from newsletter.render.reader import Reader, reader_copy
from newsletter.render.rendered import RenderedEmail
from newsletter.render.strings import TABLES
from newsletter.settings import Settings

MOBILE_WIDTH = 375

#: Makes the copy a query asks for (``lang``, ``as``, ``copy``); raises
#: :class:`NewsletterError` for a query it cannot answer.
CopyMaker = Callable[[Mapping[str, str]], RenderedEmail]


class PreviewError(NewsletterError):
    """The preview server cannot start (e.g. the port is taken)."""


def preview_source(issue: Issue, settings: Settings) -> tuple[RenderedEmail, Settings]:
    """What the preview's copies are made of: the bytes that were sent for an issue being
    sent or sent, else a fresh rendering (nothing stored), still with every language and
    marker; and the settings seen through the issue's edition."""
    from newsletter.editions import issue_settings  # the editions module pulls in the ORM

    return shown_rendering(issue, settings), issue_settings(settings, issue)


def preview_rendering(
    issue: Issue, settings: Settings, *, language: str = "", public: bool = False
) -> RenderedEmail:
    """The copy the preview shows first: the generic reader's copy in the edition's language
    (``language`` for another; ``public`` for the web archive's copy)."""
    rendered, seen = preview_source(issue, settings)
    return reader_copy(rendered, seen, language=language, public=public)


def preview_copies(
    rendered: RenderedEmail,
    settings: Settings,
    *,
    find_reader: Callable[[str], Reader] | None = None,
) -> CopyMaker:
    """The :data:`CopyMaker` of ``rendered`` (with its markers) under the issue's
    ``settings``: ``lang`` (default the edition's), ``as`` (a subscriber, looked up with
    ``find_reader``; without one ``as`` is refused), ``copy=public`` (the archive's copy)."""

    def make(query: Mapping[str, str]) -> RenderedEmail:
        language = query.get("lang", "")
        if query.get("copy") == "public":
            return reader_copy(rendered, settings, language=language, public=True)
        email = query.get("as", "").strip()
        reader = None
        if email:
            if find_reader is None:
                raise PreviewError("this preview has no subscribers to show a copy for")
            reader = find_reader(email)
        return reader_copy(rendered, settings, language=language, reader=reader)

    return make


def _mobile_page(title: str, query: Mapping[str, str]) -> str:
    frame = "/?" + urlencode(dict(query)) if query else "/"
    links = [f'<a href="/mobile?{urlencode({"lang": key})}">{key}</a>' for key in TABLES]
    links.append('<a href="/mobile?copy=public">archive copy</a>')
    links.append(f'<a href="/text?{urlencode(dict(query))}">text part</a>')
    bar = (
        '<p style="margin:0;padding:6px;font:13px sans-serif;color:#fff">'
        + " · ".join(links)
        + " · a subscriber's copy: add ?as=EMAIL</p>"
    )
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f'</head><body style="margin:0;background:#888;text-align:center">{bar}'
        f'<iframe src="{escape(frame)}" title="{escape(title)}" style="width:{MOBILE_WIDTH}px;'
        'height:100vh;border:0;background:#fff"></iframe></body></html>'
    )


def _page(copies: CopyMaker, path: str, query: Mapping[str, str]) -> tuple[str, bytes] | None:
    if path not in ("/", "/text", "/mobile"):
        return None
    copy = copies(query)
    if path == "/":
        return "text/html; charset=utf-8", copy.html.encode("utf-8")
    if path == "/text":
        return "text/plain; charset=utf-8", copy.text.encode("utf-8")
    return "text/html; charset=utf-8", _mobile_page(copy.subject, query).encode("utf-8")


class PreviewServer:
    """A running preview; :attr:`url` to visit, :meth:`close` (or ``with``) to stop."""

    def __init__(self, copies: CopyMaker, *, host: str, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path, _, raw_query = self.path.partition("?")
                try:
                    page = _page(copies, path, dict(parse_qsl(raw_query)))
                except NewsletterError as exc:
                    # A query it cannot answer (an unknown language or subscriber): one line.
                    self._send(400, "text/plain; charset=utf-8", f"{exc}\n".encode())
                    return
                if page is None:
                    self.send_error(404)
                    return
                self._send(200, *page)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
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
    rendered: RenderedEmail | CopyMaker, *, host: str = "127.0.0.1", port: int = 0
) -> PreviewServer:
    """Serve on ``host:port`` (0: any free port) from a background thread: the copies
    ``rendered`` makes (:func:`preview_copies`), or a :class:`RenderedEmail` served as it
    is whatever the query."""
    if isinstance(rendered, RenderedEmail):
        email = rendered
        return PreviewServer(lambda _query: email, host=host, port=port)
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

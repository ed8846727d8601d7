"""A real local HTTP server for the image tests, the demo-like runs and the media bench.

It serves the files of tests/samples/images/ (by name, with their image type), plus the odd
cases the image stage must survive: a text file served as image/png, a slow answer,
redirects (to itself, to another loopback port, to the cloud metadata address), a 404.
Every request is counted by path.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "samples" / "images"
TYPES = {
    ".avif": "image/avif",
    ".webp": "image/webp",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".heic": "image/heic",
}
#: How long /slow.png waits before answering (the tests' fetch timeout is shorter).
SLOW_SECONDS = 3.0


@dataclass
class ImageServer:
    """A running server: its base URL, ``host:port``, and the requests it got."""

    url: str
    hostport: str
    hits: Counter[str] = field(default_factory=Counter)
    #: path -> (status, headers, body), added by a test before it fetches.
    extra: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    redirect_to: dict[str, str] = field(default_factory=dict)


def _handler(server: ImageServer, folder: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            server.hits[path] += 1
            if path in server.extra:
                self._send(*server.extra[path])
                return
            if path in server.redirect_to:
                self._send(302, {"Location": server.redirect_to[path]}, b"")
                return
            if path == "/text.png":
                self._send(200, {"Content-Type": "image/png"}, b"this is text, not a PNG\n")
                return
            if path == "/slow.png":
                time.sleep(SLOW_SECONDS)
                self._send(200, {"Content-Type": "image/png"}, (folder / "logo.png").read_bytes())
                return
            name = path.rsplit("/", 1)[-1]
            # Two URLs for the same logo: /logo.png and /copy/logo.png.
            file = folder / name
            if not name or not file.is_file() or file.suffix not in TYPES:
                self._send(404, {"Content-Type": "text/plain"}, b"not found")
                return
            self._send(200, {"Content-Type": TYPES[file.suffix]}, file.read_bytes())

    return Handler


@contextmanager
def serve_images(folder: Path = IMAGES) -> Iterator[ImageServer]:
    """An :class:`ImageServer` on a free loopback port, for the duration of the block."""
    state = ImageServer(url="", hostport="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, folder))
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    state.url = f"http://127.0.0.1:{port}"
    state.hostport = f"127.0.0.1:{port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()

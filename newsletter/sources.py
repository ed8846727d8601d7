"""Where a digest comes from: a file path or an http(s) URL (a feed, usually)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

from newsletter.digest import ParseResult, parse_source, read_digests
from newsletter.errors import InputError

FETCH_TIMEOUT_SECONDS = 30.0


def is_url(source: str) -> bool:
    """True for http(s) URLs; anything else is a file path."""
    return source.lower().startswith(("http://", "https://"))


def fetch(url: str, *, client: httpx.Client | None = None) -> bytes:
    """GET ``url``; any network or HTTP error becomes :class:`InputError` naming the URL."""
    own = client is None
    http = client or httpx.Client(timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True)
    try:
        response = http.get(url, headers={"User-Agent": "newsletter-daily/1"})
        response.raise_for_status()
        return response.content
    except httpx.HTTPStatusError as exc:
        raise InputError(f"HTTP {exc.response.status_code}", source=url) from None
    except httpx.HTTPError as exc:
        raise InputError(f"cannot fetch: {exc}", source=url) from None
    finally:
        if own:
            http.close()


def load_source(
    source: str,
    *,
    date: dt.date | None = None,
    client: httpx.Client | None = None,
    drop_sections: Sequence[str] = (),
) -> ParseResult:
    """The digests of a file or URL, with the import's warnings; with ``date``, that day's
    (see :func:`~newsletter.digest.read_digests`)."""
    if is_url(source):
        suffix = PurePosixPath(urlsplit(source).path).suffix
        return parse_source(
            fetch(source, client=client),
            source=source,
            suffix=suffix,
            date=date,
            drop_sections=drop_sections,
        )
    return read_digests(Path(source), date=date, drop_sections=drop_sections)

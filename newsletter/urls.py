"""Which URLs an email may carry: the rule the renderer and the image stage share."""

from __future__ import annotations

from urllib.parse import urlsplit

#: The schemes a link may have.
SCHEMES = ("http", "https", "mailto")


def safe_url(url: str) -> str | None:
    """``url`` when it is an absolute http(s) or mailto URL, else None."""
    url = url.strip()
    if not url or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        return None
    if scheme != "mailto" and not parts.netloc:
        return None
    return url


def safe_web_url(url: str) -> str | None:
    """``url`` when it is an absolute http(s) URL (images and item links), else None."""
    ok = safe_url(url)
    return ok if ok is not None and not ok.lower().startswith("mailto:") else None

"""How an item's links are shown: a clean label and the site they lead to.

The digest's link texts are often cut off by its generator ("Can Huawei’s op...") and say
nothing of where they go. Each link is shown as its label, ending in one "…" when it was
cut, and the host it points at ("artificialintelligence-news.com"), in both parts.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

#: A label written as a URL is shown shorter than this (host and the start of the path).
URL_LABEL_MAX = 60
ELLIPSIS = "…"
#: Cut-off marks at the end of a label: "...", "…", "..", "。。。", "…...", with spaces.
_CUT = re.compile(r"\s*(?:\.{2,}|…+|。{2,}|．{2,})[\s.…。．]*$")


def host_of(url: str) -> str:
    """The host a link points at, as people read it: no ``www.``, IDNA decoded, lowercase."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    if host.startswith("www."):
        host = host[4:]
    if "xn--" in host:
        with contextlib.suppress(UnicodeError):  # else shown in its ASCII form
            host = host.encode("ascii").decode("idna")
    return host


def clean_label(text: str, url: str) -> str:
    """The label of a link: a cut-off mark becomes one "…"; a URL as label is shortened."""
    label = " ".join(text.split())
    if not label or label == url or label.lower().startswith(("http://", "https://")):
        parts = urlsplit(url)
        short = host_of(url) + (parts.path if parts.path != "/" else "")
        if len(short) > URL_LABEL_MAX:
            short = short[: URL_LABEL_MAX - 1].rstrip("/") + ELLIPSIS
        return short
    cut = _CUT.search(label)
    if cut:
        label = label[: cut.start()].rstrip() + ELLIPSIS
    return label


def link_view(text: str, url: str) -> dict[str, str]:
    """``{label, host, url}`` of one link (``url`` already checked as absolute http(s))."""
    return {"label": clean_label(text, url), "host": host_of(url), "url": url}


def link_views(links: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """:func:`link_view` of each ``{text, url}`` of an item (a Jinja filter)."""
    return [link_view(str(link.get("text", "")), str(link.get("url", ""))) for link in links]


def first_url(links: Iterable[Mapping[str, Any]]) -> str:
    """The item's first link, where its images lead; empty when it has none (a filter)."""
    for link in links:
        url = str(link.get("url", ""))
        if url:
            return url
    return ""

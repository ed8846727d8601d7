"""The archive: ``GET /archive`` (sent issues), ``/archive/{date}`` (one issue as sent),
``/archive/feed.xml`` (RSS 2.0). This is the "view in browser" (网页版) link of every email.

An issue page is the stored rendered email, so it shows exactly what was sent, with the
per-recipient markers filled for nobody: the unsubscribe link points to the archive and the
name is empty. Only issues being sent or sent are shown: the "view in browser" link of the
first recipients must work while the send to the others goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from newsletter.archive import ArchivedIssue, public_issues, public_page
from newsletter.db import transaction
from newsletter.errors import ConfigError
from newsletter.render import markdown
from subscribers.pages import PUBLIC_HEADERS
from subscribers.services import Services, services

log = logging.getLogger(__name__)

FEED_ITEMS = 50
ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class _Listed:
    date: dt.date
    subject: str
    url: str


def _issues(svc: Services, limit: int | None = None) -> list[ArchivedIssue]:
    with transaction(svc.engine) as session:
        return public_issues(session, limit=limit)


def _page(svc: Services, day: dt.date, archive_url: str) -> str | None:
    with transaction(svc.engine) as session:
        return public_page(session, day, archive_url=archive_url)


async def archive_index(request: Request) -> Response:
    """The list of sent issues."""
    svc = services(request)
    issues = await run_in_threadpool(_issues, svc)
    listed = [
        _Listed(i.date, i.subject, _path(request, "archive_issue", date=i.date.isoformat()))
        for i in issues
    ]
    return svc.pages.response(
        "archive.html",
        public=True,
        issues=listed,
        feed_url=_path(request, "archive_feed"),
        subscribe_url=_path(request, "subscribe"),
    )


async def archive_issue(request: Request) -> Response:
    """One sent issue, as it was sent, without anyone's personal links.

    Other spellings of a date (``20250901``, ``2025-W36-1``) are redirected to the one
    canonical URL (``/archive/2025-09-01``), by path only.
    """
    svc = services(request)
    raw = request.path_params["date"]
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return svc.pages.not_found()
    if raw != day.isoformat():
        url = _path(request, "archive_issue", date=day.isoformat())
        return RedirectResponse(url, status_code=301)
    archive_url = _path(request, "archive_index")
    page = await run_in_threadpool(_page, svc, day, archive_url)
    if page is None:
        return svc.pages.not_found()
    return HTMLResponse(page, headers=dict(PUBLIC_HEADERS))


async def archive_feed(request: Request) -> Response:
    """RSS 2.0 of the newest sent issues; its links are under NEWSLETTER_BASE_URL (never
    under the request's Host header, which the client chooses)."""
    svc = services(request)
    try:
        base = svc.settings.require_base_url()
    except ConfigError as exc:
        log.error("archive feed: %s", exc)
        return Response("the feed is not configured", status_code=503, media_type="text/plain")
    issues = await run_in_threadpool(_issues, svc, FEED_ITEMS)
    xml = rss(
        issues,
        title=svc.settings.newsletter_name,
        base_url=base,
        language=svc.settings.language,
    )
    return Response(
        xml,
        media_type="application/rss+xml; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


def _path(request: Request, name: str, **params: str) -> str:
    # Only the path (with the app's root path): a URL built from Host would be the client's.
    return request.url_for(name, **params).path


def _rfc822(issue: ArchivedIssue) -> str:
    when = issue.sent_at or dt.datetime.combine(issue.date, dt.time(), tzinfo=dt.UTC)
    return format_datetime(when.astimezone(dt.UTC), usegmt=True)


def rss(issues: list[ArchivedIssue], *, title: str, base_url: str, language: str) -> bytes:
    """The RSS 2.0 document (UTF-8 bytes) for ``issues``, links under ``base_url``."""
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = f"{base_url}/archive"
    ET.SubElement(channel, "description").text = title
    ET.SubElement(channel, "language").text = language.lower()
    ET.SubElement(
        channel,
        f"{{{ATOM_NS}}}link",
        href=f"{base_url}/archive/feed.xml",
        rel="self",
        type="application/rss+xml",
    )
    if issues:
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(issues[0])
    for issue in issues:
        link = f"{base_url}/archive/{issue.date.isoformat()}"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = issue.subject
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="true").text = link
        ET.SubElement(item, "pubDate").text = _rfc822(issue)
        if issue.summary:
            # Feed readers render a description as HTML: the email's sanitizer makes it.
            ET.SubElement(item, "description").text = markdown.to_html(issue.summary)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data

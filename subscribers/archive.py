"""The archive: ``GET /archive`` (sent issues), ``/archive/{date}`` (one issue as sent),
``/archive/feed.xml`` (RSS 2.0). This is the "view in browser" (网页版) link of every email.

An issue page is the stored rendered email, so it shows exactly what was sent, with the
per-recipient markers filled for nobody: the unsubscribe link points to the archive and the
name is empty. Only issues being sent or sent are shown: the "view in browser" link of the
first recipients must work while the send to the others goes on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from sqlalchemy import Engine, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from newsletter.db import transaction
from newsletter.lifecycle import public_clause
from newsletter.models import Issue
from newsletter.render.issue import stored_rendering
from newsletter.render.personalize import archive_copy
from subscribers.pages import PUBLIC_HEADERS
from subscribers.services import services

FEED_ITEMS = 50
ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class ArchivedIssue:
    """One sent issue, as the index and the feed list it."""

    date: dt.date
    subject: str
    summary: str
    sent_at: dt.datetime | None
    url: str = ""


def sent_issues(engine: Engine, *, limit: int | None = None) -> list[ArchivedIssue]:
    """Sent issues, newest first."""
    query = (
        select(Issue.date, Issue.rendered_subject, Issue.subject, Issue.preheader, Issue.sent_at)
        .where(public_clause())
        .order_by(Issue.date.desc())
        .limit(limit)
    )
    with transaction(engine) as session:
        rows = session.execute(query).all()
    return [
        ArchivedIssue(date, rendered or subject, preheader or "", sent_at)
        for date, rendered, subject, preheader, sent_at in rows
    ]


def issue_page(engine: Engine, day: dt.date, *, archive_url: str) -> str | None:
    """The sent issue of ``day`` as a web page, or None."""
    with transaction(engine) as session:
        issue = session.scalar(select(Issue).where(Issue.date == day, public_clause()))
        rendering = None if issue is None else stored_rendering(issue)
    if rendering is None:
        return None
    return archive_copy(rendering, archive_url=archive_url).html


async def archive_index(request: Request) -> Response:
    """The list of sent issues."""
    svc = services(request)
    issues = await run_in_threadpool(sent_issues, svc.engine)
    listed = [
        ArchivedIssue(
            i.date,
            i.subject,
            i.summary,
            i.sent_at,
            request.url_for("archive_issue", date=i.date.isoformat()).path,
        )
        for i in issues
    ]
    return svc.pages.response(
        "archive.html",
        public=True,
        issues=listed,
        feed_url=request.url_for("archive_feed").path,
        subscribe_url=request.url_for("subscribe").path,
    )


async def archive_issue(request: Request) -> Response:
    """One sent issue, as it was sent, without anyone's personal links."""
    svc = services(request)
    try:
        day = dt.date.fromisoformat(request.path_params["date"])
    except ValueError:
        return svc.pages.not_found()
    archive_url = request.url_for("archive_index").path
    page = await run_in_threadpool(issue_page, svc.engine, day, archive_url=archive_url)
    if page is None:
        return svc.pages.not_found()
    return HTMLResponse(page, headers=dict(PUBLIC_HEADERS))


async def archive_feed(request: Request) -> Response:
    """RSS 2.0 of the newest sent issues."""
    svc = services(request)
    base = svc.settings.base_url.rstrip("/") or str(request.base_url).rstrip("/")
    issues = await run_in_threadpool(sent_issues, svc.engine, limit=FEED_ITEMS)
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
            ET.SubElement(item, "description").text = issue.summary
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data

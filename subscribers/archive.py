"""The archive, one per edition: ``GET /archive/{edition}`` (its sent issues),
``/archive/{edition}/{date}`` (one issue as sent), ``/archive/{edition}/feed.xml`` (RSS 2.0).
``/archive/{edition}/{date}`` is the "view in browser" (网页版) link of every email.

``GET /archive`` lists the editions (with one edition it redirects to that edition's
archive). The URLs of emails sent before editions existed keep working: ``/archive/{date}``
and ``/archive/feed.xml`` redirect (301) to the default edition's.

An issue page is the stored rendered email, so it shows exactly what was sent, with the
per-recipient markers filled for nobody: the unsubscribe link points to the archive and the
name is empty. Only issues being sent or sent are shown: the "view in browser" link of the
first recipients must work while the send to the others goes on. An edition's index and
feed are in its language and under its name.
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

from newsletter.archive import (
    ArchivedIssue,
    PublicEdition,
    find_edition,
    public_edition,
    public_editions,
    public_issues,
    public_page,
)
from newsletter.editions import get_edition
from newsletter.errors import ConfigError
from newsletter.render import markdown
from newsletter.render.context import archive_index_url, archive_issue_url
from subscribers.editions import reading, subscribe_path
from subscribers.messages import messages_for
from subscribers.services import Services, services

log = logging.getLogger(__name__)

FEED_ITEMS = 50
ATOM_NS = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class _Listed:
    date: dt.date
    subject: str
    url: str


@dataclass(frozen=True)
class _EditionLink:
    """An edition on the ``/archive`` page, named and labelled in its own language."""

    name: str
    lang: str
    url: str
    feed_url: str
    subscribe_url: str
    archive_label: str
    feed_label: str
    subscribe_label: str


@dataclass(frozen=True)
class _Archive:
    """An edition and its public issues (edition None: there is no such edition)."""

    edition: PublicEdition | None
    issues: list[ArchivedIssue]


def _parse_date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _archive(svc: Services, slug: str | None, limit: int | None = None) -> _Archive:
    with reading(svc.engine) as session:
        edition = find_edition(session, slug)
        if edition is None:
            return _Archive(None, [])
        issues = public_issues(session, edition=edition, limit=limit)
        return _Archive(public_edition(edition, svc.settings), issues)


def _editions(svc: Services) -> list[PublicEdition]:
    with reading(svc.engine) as session:
        return public_editions(session, svc.settings)


def _default_slug(svc: Services) -> str:
    with reading(svc.engine) as session:
        return get_edition(session).slug


def _page(svc: Services, slug: str, day: dt.date, archive_url: str) -> str | None:
    with reading(svc.engine) as session:
        edition = find_edition(session, slug)
        if edition is None:
            return None
        return public_page(session, day, edition=edition, archive_url=archive_url)


async def archive_home(request: Request) -> Response:
    """The editions, each with its archive, feed and sign-up; with one edition, a redirect
    to its archive (the "past issues" link of emails sent before editions)."""
    svc = services(request)
    editions = await run_in_threadpool(_editions, svc)
    if len(editions) == 1:
        # Temporary: the page of editions takes its place when a second edition is added.
        return RedirectResponse(_path(request, "archive_index", edition=editions[0].slug), 307)
    links = []
    for edition in editions:
        m = messages_for(edition.settings.language)
        links.append(
            _EditionLink(
                name=edition.settings.newsletter_name,
                lang=edition.settings.language,
                url=_path(request, "archive_index", edition=edition.slug),
                feed_url=_path(request, "archive_feed", edition=edition.slug),
                subscribe_url=subscribe_path(edition),
                archive_label=m.archive_title,
                feed_label=m.archive_feed,
                subscribe_label=m.subscribe_button,
            )
        )
    # The page itself is the default edition's (the first), in its language.
    pages = svc.pages.seen_as(editions[0].settings)
    return pages.response("editions.html", public=True, editions=links)


async def archive_index(request: Request) -> Response:
    """The list of an edition's sent issues. A date in the edition's place is a link of
    an email sent before editions: redirected to the default edition's issue of that day."""
    svc = services(request)
    slug = request.path_params["edition"]
    found = await run_in_threadpool(_archive, svc, slug)
    edition = found.edition
    if edition is None:
        day = _parse_date(slug)
        if day is None:
            return svc.pages.not_found()
        default = await run_in_threadpool(_default_slug, svc)
        url = _path(request, "archive_issue", edition=default, date=day.isoformat())
        return RedirectResponse(url, status_code=301)
    listed = [
        _Listed(
            i.date,
            i.subject,
            _path(request, "archive_issue", edition=edition.slug, date=i.date.isoformat()),
        )
        for i in found.issues
    ]
    return svc.pages.seen_as(edition.settings).response(
        "archive.html",
        public=True,
        issues=listed,
        feed_url=_path(request, "archive_feed", edition=edition.slug),
        subscribe_url=subscribe_path(edition),
    )


async def legacy_feed(request: Request) -> Response:
    """``/archive/feed.xml``, the feed before editions: the default edition's feed now."""
    default = await run_in_threadpool(_default_slug, services(request))
    return RedirectResponse(_path(request, "archive_feed", edition=default), status_code=301)


async def archive_issue(request: Request) -> Response:
    """One sent issue of an edition, as it was sent, without anyone's personal links.

    Other spellings of a date (``20250901``, ``2025-W36-1``) are redirected to the one
    canonical URL (``/archive/{edition}/2025-09-01``), by path only.
    """
    svc = services(request)
    slug = request.path_params["edition"]
    raw = request.path_params["date"]
    day = _parse_date(raw)
    if day is None:
        return svc.pages.not_found()
    if raw != day.isoformat():
        url = _path(request, "archive_issue", edition=slug, date=day.isoformat())
        return RedirectResponse(url, status_code=301)
    archive_url = _path(request, "archive_index", edition=slug)
    page = await run_in_threadpool(_page, svc, slug, day, archive_url)
    if page is None:
        return svc.pages.not_found()
    # The issue's images come from the media store: the headers admit its origin.
    return HTMLResponse(page, headers=svc.pages.headers(public=True))


async def archive_feed(request: Request) -> Response:
    """RSS 2.0 of an edition's newest sent issues; its links are under NEWSLETTER_BASE_URL
    (never under the request's Host header, which the client chooses)."""
    svc = services(request)
    try:
        base = svc.settings.require_base_url()
    except ConfigError as exc:
        log.error("archive feed: %s", exc)
        return Response("the feed is not configured", status_code=503, media_type="text/plain")
    found = await run_in_threadpool(_archive, svc, request.path_params["edition"], FEED_ITEMS)
    edition = found.edition
    if edition is None:
        return svc.pages.not_found()
    xml = rss(
        found.issues,
        title=edition.settings.newsletter_name,
        base_url=base,
        language=edition.settings.language,
        edition=edition.slug,
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


def rss(
    issues: list[ArchivedIssue], *, title: str, base_url: str, language: str, edition: str
) -> bytes:
    """The RSS 2.0 document (UTF-8 bytes) for ``issues`` of the edition slugged ``edition``,
    links under ``base_url``."""
    ET.register_namespace("atom", ATOM_NS)
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    index = archive_index_url(base_url, edition)
    ET.SubElement(channel, "link").text = index
    ET.SubElement(channel, "description").text = title
    ET.SubElement(channel, "language").text = language.lower()
    ET.SubElement(
        channel,
        f"{{{ATOM_NS}}}link",
        href=f"{index}/feed.xml",
        rel="self",
        type="application/rss+xml",
    )
    if issues:
        ET.SubElement(channel, "lastBuildDate").text = _rfc822(issues[0])
    for issue in issues:
        link = archive_issue_url(base_url, edition, issue.date)
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

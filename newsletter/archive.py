"""The public archive: which issues anyone may read, and each one as it was sent.

Once its send has started an issue is public (the "view in browser" link of the first
recipients must work while the send to the others goes on); its rendering can no longer
change. A public copy carries nobody's personal links.

Each edition has an archive of its own (``/archive/<edition>``): its issues, in its
language, under its name. Every question here takes the edition it is about; None means
the default edition, the one that links made before editions existed belong to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from newsletter.editions import edition_settings, get_edition, list_editions, list_name_of
from newsletter.lifecycle import public_clause
from newsletter.models import Edition, Issue
from newsletter.render.issue import stored_rendering
from newsletter.render.personalize import archive_copy
from newsletter.settings import Settings


@dataclass(frozen=True)
class ArchivedIssue:
    """One public issue, as the index and the feed list it."""

    date: dt.date
    subject: str
    summary: str
    sent_at: dt.datetime | None


@dataclass(frozen=True)
class PublicEdition:
    """An edition as its public pages (archive, feed, sign-up) present it: plain values, so
    they outlive the session they were read in.

    ``settings`` are the settings seen through the edition (its name, language, list,
    colours): the edition's pages are made with them.
    """

    slug: str
    is_default: bool
    list_name: str
    settings: Settings


def public_edition(edition: Edition, settings: Settings) -> PublicEdition:
    """The public face of ``edition`` under ``settings``."""
    return PublicEdition(
        slug=edition.slug,
        is_default=edition.is_default,
        list_name=list_name_of(settings, edition),
        settings=edition_settings(settings, edition),
    )


def find_edition(session: Session, slug: str | None = None) -> Edition | None:
    """The edition ``slug`` (None: the default one), or None when there is no such edition.

    The default edition is found by its slug even before it is stored (the core makes it
    from the settings on first use), so its archive answers as soon as its links do.
    """
    if slug is None:
        return get_edition(session)
    edition = session.scalar(select(Edition).where(Edition.slug == slug))
    if edition is None:
        default = get_edition(session)
        return default if default.slug == slug else None
    return edition


def public_editions(session: Session, settings: Settings) -> list[PublicEdition]:
    """Every edition, the default first, then by slug."""
    return [public_edition(edition, settings) for edition in list_editions(session)]


def _edition_id(session: Session, edition: Edition | None) -> int:
    return (edition or get_edition(session)).id


def public_issues(
    session: Session, *, edition: Edition | None = None, limit: int | None = None
) -> list[ArchivedIssue]:
    """The public issues of ``edition`` (default: the default edition) with a stored
    rendering, newest first; at most ``limit`` of them."""
    query = (
        select(Issue.date, Issue.rendered_subject, Issue.subject, Issue.preheader, Issue.sent_at)
        .where(Issue.edition_id == _edition_id(session, edition), public_clause())
        .order_by(Issue.date.desc())
        .limit(limit)
    )
    return [
        ArchivedIssue(date, rendered or subject, preheader or "", sent_at)
        for date, rendered, subject, preheader, sent_at in session.execute(query)
    ]


def public_page(
    session: Session, day: dt.date, *, edition: Edition | None = None, archive_url: str
) -> str | None:
    """The public issue of ``day`` in ``edition`` (default: the default edition) as a web
    page (the public copy: no personal link; a rendering stored before the public variant
    has its unsubscribe link pointed at ``archive_url``), or None when it has none."""
    issue = session.scalar(
        select(Issue).where(
            Issue.edition_id == _edition_id(session, edition), Issue.date == day, public_clause()
        )
    )
    rendering = None if issue is None else stored_rendering(issue)
    if rendering is None:
        return None
    return archive_copy(rendering, archive_url=archive_url).html


#: Hosts that are this machine: images over plain http are admitted only from them.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def image_sources(settings: Settings) -> tuple[str, ...]:
    """The image origins the archive's pages must admit beyond ``https:`` and ``data:``:
    the media store's, when it serves over plain http on loopback (``make demo`` serves the
    local store at ``http://127.0.0.1:PORT/media``). An http origin anywhere else is never
    admitted (the page would load images in the clear); https ones are admitted already."""
    base = settings.media_base_url.strip()
    if not base:
        if settings.media_store == "local":
            base = settings.base_url.strip()
        else:
            base = settings.media_s3_endpoint_url.strip()
    parts = urlsplit(base)
    if parts.scheme != "http" or parts.hostname is None:
        return ()
    host = parts.hostname
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        return ()
    netloc = parts.netloc.rsplit("@", 1)[-1]  # never a user:password part in a header
    return (f"http://{netloc}",)

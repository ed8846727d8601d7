"""Open and click tracking: off by default, on per list (``report tracking LIST --on``).

SES does the tracking itself: a message sent through the configuration set named by
``NEWSLETTER_SES_TRACKING_CONFIGURATION_SET`` (whose event destination includes Open and
Click, and whose tracking options name the redirect domain) gets SES's 1×1 open image and
has its links rewritten to SES's click redirect. Messages to untracked lists go through the
plain configuration set, which publishes no Open or Click and rewrites nothing. The web
archive is the stored rendering, which never carries either.
"""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from newsletter.errors import ConfigError
from newsletter.models import ListTracking
from newsletter.render.personalize import UNSUBSCRIBE_URL_MARK
from newsletter.render.rendered import RenderedEmail
from newsletter.settings import Settings

_ANCHOR = re.compile(
    r"<a\s(?P<attrs>[^>]*?)href=\"(?P<href>(?:https?://|" + UNSUBSCRIBE_URL_MARK + r")[^\"]*)\"",
    re.IGNORECASE,
)
_TAG_CHARS = re.compile(r"[^A-Za-z0-9_-]+")
TAG_MAX = 60


def is_tracked(session: Session, *, list_id: int) -> bool:
    """Whether mail to the list is sent with open and click tracking."""
    return session.get(ListTracking, list_id) is not None


def set_tracking(session: Session, *, list_id: int, enabled: bool) -> bool:
    """Turn tracking on or off for the list; returns whether that changed anything."""
    if enabled == is_tracked(session, list_id=list_id):
        return False
    if enabled:
        session.add(ListTracking(list_id=list_id))
    else:
        session.execute(delete(ListTracking).where(ListTracking.list_id == list_id))
    session.flush()
    return True


def tracked_list_ids(session: Session) -> set[int]:
    """Every tracked list."""
    return set(session.scalars(select(ListTracking.list_id)))


def configuration_set_for(settings: Settings, *, tracked: bool) -> str | None:
    """The SES configuration set of a message to a tracked or untracked list; None when the
    transport is not SES (only SES tracks). Every sending process asks this for the list it
    sends to (:class:`~newsletter.sending.personal.IssueMailer`), so a tracked list is
    tracked whichever path sends it.

    :class:`ConfigError` when the list is tracked but no tracking configuration set is set.
    """
    if settings.transport != "ses":
        return None
    if not tracked:
        return settings.ses_configuration_set
    if not settings.ses_tracking_configuration_set:
        raise ConfigError(
            "NEWSLETTER_SES_TRACKING_CONFIGURATION_SET is not set, and the list is tracked"
        )
    return settings.ses_tracking_configuration_set


def sending_settings(settings: Settings, *, tracked: bool) -> Settings:
    """``settings`` with the configuration set for a tracked or untracked send.

    :class:`ConfigError` when the list is tracked but no tracking configuration set is set:
    a tracked list is never silently sent untracked, nor the other way round.
    """
    if not tracked or settings.transport != "ses":  # only SES tracks (SMTP and files do not)
        return settings
    chosen = configuration_set_for(settings, tracked=True)
    return settings.model_copy(update={"ses_configuration_set": chosen})


def link_tag(href: str, position: int) -> str:
    """A tag value for a link (SES allows letters, digits, ``_`` and ``-``): its position in
    the email and its host and path, e.g. ``3-example-com-story``."""
    parts = urlsplit(href)
    words = _TAG_CHARS.sub("-", f"{parts.hostname or ''}{parts.path}").strip("-")
    return f"{position}-{words}"[:TAG_MAX].rstrip("-")


def tag_links(html: str) -> str:
    """The HTML with each http(s) link tagged for SES (``ses:tags="link:<tag>;"``), so that
    clicks count per link; the unsubscribe link is marked ``ses:no-track`` (it is personal,
    and a redirect in front of it helps nobody)."""
    position = 0

    def tag(match: re.Match[str]) -> str:
        nonlocal position
        attrs, href = match.group("attrs"), match.group("href")
        if "ses:" in attrs:
            return match.group(0)
        if UNSUBSCRIBE_URL_MARK in href:
            return f'<a {attrs}ses:no-track href="{href}"'
        position += 1
        return f'<a {attrs}ses:tags="link:{link_tag(href, position)};" href="{href}"'

    return _ANCHOR.sub(tag, html)


def tracked_rendering(session: Session, rendered: RenderedEmail, *, list_id: int) -> RenderedEmail:
    """The copy of the issue to send to the list: links tagged when the list is tracked.

    Only the copy being sent changes; the stored rendering (and so the archive) does not.
    """
    if not is_tracked(session, list_id=list_id):
        return rendered
    return dataclasses.replace(rendered, html=tag_links(rendered.html))

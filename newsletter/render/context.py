"""What the templates see: branding from the settings and the issue's content, made safe.

Everything taken from an issue is untrusted. Plain strings are cleaned of control characters
and placeholder markers and left to Jinja's autoescaping; item bodies become sanitized HTML
(:mod:`newsletter.render.markdown`); URLs that are not absolute http(s) are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from newsletter.errors import ConfigError
from newsletter.media import place as media_place
from newsletter.models import Issue
from newsletter.render import markdown
from newsletter.render.personalize import NAME_MARK, UNSUBSCRIBE_URL_MARK
from newsletter.render.strings import Strings, strings_for
from newsletter.settings import Settings

if TYPE_CHECKING:
    from newsletter.media.stage import IssueMedia

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# Zero-width non-joiners and spaces after the preheader keep clients from filling the
# inbox preview with the first words of the body.
_PREVIEW_FILLER = Markup("&#847;&zwnj;&nbsp;" * 30)  # noqa: S704 (a constant)


@dataclass(frozen=True)
class Colors:
    """The palette: brand and accent come from the settings, the rest is fixed."""

    brand: str
    accent: str
    text: str = "#1f2328"
    muted: str = "#59636e"
    page: str = "#f2f3f5"
    card: str = "#ffffff"


@dataclass(frozen=True)
class Brand:
    """The newsletter's identity, all from the settings."""

    name: str
    logo_url: str | None
    postal_address: str
    colors: Colors


def _color(value: str, variable: str) -> str:
    if not _COLOR.match(value.strip()):
        raise ConfigError(f"{variable} must be a hex colour like #1a73e8, got {value!r}")
    return value.strip()


def brand(settings: Settings) -> Brand:
    """The branding from ``settings``; a malformed colour or logo URL is a :class:`ConfigError`."""
    logo = settings.logo_url.strip() or None
    if logo is not None and markdown.safe_web_url(logo) is None:
        raise ConfigError(f"NEWSLETTER_LOGO_URL must be an http(s) URL, got {logo!r}")
    return Brand(
        name=markdown.clean_text(settings.newsletter_name).strip(),
        logo_url=logo,
        postal_address=markdown.clean_text(settings.postal_address).strip(),
        colors=Colors(
            brand=_color(settings.brand_color, "NEWSLETTER_BRAND_COLOR"),
            accent=_color(settings.accent_color, "NEWSLETTER_ACCENT_COLOR"),
        ),
    )


def base_context(
    settings: Settings, *, subject: str, preheader: str, test: bool = False
) -> dict[str, Any]:
    """The values every email's layout needs (header, footer, branding, language)."""
    strings: Strings = strings_for(settings.language)
    base_url = settings.require_base_url()
    return {
        "lang": settings.language,
        "s": strings,
        "brand": brand(settings),
        "subject": subject,
        "preheader": markdown.clean_text(" ".join(preheader.split())),
        "preview_filler": _PREVIEW_FILLER,
        "test": test,
        "base_url": base_url,
        "archive_index_url": f"{base_url}/archive",
        "archive_url": None,
        "date_label": None,
        "unsubscribe_url": UNSUBSCRIBE_URL_MARK,
        "name": NAME_MARK,
    }


def _numbered(body_html: str, number: int) -> Markup:
    """The item's number put at the start of its first paragraph, as in the digest."""
    # Safe: ``body_html`` comes out of the nh3 allowlist sanitizer, ``number`` is an int.
    num = f'<span class="nl-num">{number}.</span> '
    if body_html.startswith("<p>"):
        return Markup(f"<p>{num}{body_html[3:]}")  # noqa: S704
    return Markup(f"<p>{num}</p>{body_html}")  # noqa: S704


def _item(raw: dict[str, Any], number: int, placer: media_place.ImagePlacer) -> dict[str, Any]:
    title = markdown.clean_text(str(raw.get("title", ""))).strip()
    body = str(raw.get("body", ""))
    links = []
    for link in raw.get("links") or []:
        url = markdown.safe_web_url(str(link.get("url", "")))
        if url is None:
            continue
        text = markdown.clean_text(str(link.get("text", ""))).strip() or url
        links.append({"text": text, "url": url})
    # Images: the stored copies at their real size (newsletter.media), once each.
    images = placer.images(raw.get("images") or [], title=title)
    return {
        "number": number,
        "title": title,
        "html": _numbered(markdown.to_html(body), number),
        "text": markdown.to_text(body),
        "links": links,
        "images": images,
    }


def issue_context(
    issue: Issue,
    settings: Settings,
    *,
    subject: str,
    test: bool,
    media: IssueMedia | None = None,
) -> dict[str, Any]:
    """The template context of an issue (``subject`` already checked by the caller).

    ``media`` is the image stage's result; without it images keep their source URLs.
    """
    ctx = base_context(
        settings, subject=subject, preheader=issue.preheader or issue.summary, test=test
    )
    strings: Strings = ctx["s"]
    day: dt.date = issue.date
    sections = []
    placer = media_place.ImagePlacer(media)  # one per render: it remembers which images were shown
    for raw_section in issue.sections:
        items = [_item(raw, n, placer) for n, raw in enumerate(raw_section.get("items") or [], 1)]
        name = markdown.clean_text(str(raw_section.get("name", ""))).strip()
        sections.append({"name": name, "items": items})
    count = sum(len(s["items"]) for s in sections)
    summary = [
        line.strip()
        for line in markdown.clean_text(issue.summary or "").splitlines()
        if line.strip()
    ]
    ctx.update(
        date=day.isoformat(),
        date_label=strings.date_label(day),
        archive_url=f"{ctx['base_url']}/archive/{day.isoformat()}",
        summary_lines=summary,
        sections=sections,
        item_count=count,
        greeting=strings.greeting.format(name=NAME_MARK) if strings.greeting else "",
        intro=strings.intro.format(
            date=strings.short_date(day), newsletter=ctx["brand"].name, count=count
        ),
        footer_reason=strings.footer_reason.format(newsletter=ctx["brand"].name),
    )
    return ctx

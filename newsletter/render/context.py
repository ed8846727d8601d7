"""What the templates see: branding from the settings and the issue's content, made safe.

Everything taken from an issue is untrusted. Plain strings are cleaned of control characters
and placeholder markers and left to Jinja's autoescaping; item bodies become sanitized HTML
(:mod:`newsletter.render.markdown`); URLs that are not absolute http(s) are dropped.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from newsletter.editorial import note_of
from newsletter.errors import ConfigError
from newsletter.identity import DEMO_POSTAL_ADDRESS
from newsletter.media import place as media_place
from newsletter.models import DEFAULT_EDITION_SLUG, Issue
from newsletter.render import markdown
from newsletter.render.localized import Localized, LocalizedStrings, audience_marks
from newsletter.render.personalize import (
    GREETING_MARK,
    PREFERENCES_URL_MARK,
    UNSUBSCRIBE_URL_MARK,
)
from newsletter.render.strings import Strings, strings_for
from newsletter.settings import Settings
from newsletter.settings import check_hex_color as _color
from newsletter.text import untrusted_text
from newsletter.urls import safe_web_url

if TYPE_CHECKING:
    from newsletter.media.stage import IssueMedia

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


def brand(settings: Settings) -> Brand:
    """The branding from ``settings``; a malformed colour or logo URL is a :class:`ConfigError`."""
    logo = settings.logo_url.strip() or None
    if logo is not None and safe_web_url(logo) is None:
        raise ConfigError(f"NEWSLETTER_LOGO_URL must be an http(s) URL, got {logo!r}")
    return Brand(
        name=untrusted_text(settings.newsletter_name).strip(),
        logo_url=logo,
        postal_address=untrusted_text(settings.postal_address).strip(),
        colors=Colors(
            brand=_color(settings.brand_color, "NEWSLETTER_BRAND_COLOR"),
            accent=_color(settings.accent_color, "NEWSLETTER_ACCENT_COLOR"),
        ),
    )


def edition_slug(issue: Issue) -> str:
    """The slug of the issue's edition; an issue made in memory without one (a preview, a
    benchmark) counts as the default edition's."""
    edition = issue.edition
    return DEFAULT_EDITION_SLUG if edition is None else edition.slug


def archive_index_url(base_url: str, slug: str) -> str:
    """The web archive of edition ``slug`` (its list of public issues)."""
    return f"{base_url}/archive/{slug}"


def archive_issue_url(base_url: str, slug: str, day: dt.date) -> str:
    """The public page of edition ``slug``'s issue of ``day`` (the "view in browser" link)."""
    return f"{archive_index_url(base_url, slug)}/{day.isoformat()}"


def base_context(
    settings: Settings,
    *,
    subject: str,
    preheader: str,
    test: bool = False,
    every_language: bool = False,
) -> dict[str, Any]:
    """The values every email's layout needs (header, footer, branding, language).

    With ``every_language`` (the issue: one rendering for every subscriber's language) ``s``
    gives each string in every language (:class:`LocalizedStrings`); otherwise (a message
    to one person) the strings of ``settings.language``.
    """
    strings: Strings | LocalizedStrings = (
        LocalizedStrings() if every_language else strings_for(settings.language)
    )
    base_url = settings.require_base_url()
    identity = brand(settings)
    if test and not identity.postal_address:
        # A test copy may go out before the address is set; it says it is a stand-in.
        identity = replace(identity, postal_address=DEMO_POSTAL_ADDRESS)
    return {
        **audience_marks(),
        "lang": settings.language,
        "s": strings,
        "brand": identity,
        "subject": subject,
        "preheader": untrusted_text(" ".join(preheader.split())),
        "preview_filler": _PREVIEW_FILLER,
        "test": test,
        "base_url": base_url,
        "archive_index_url": f"{base_url}/archive",
        "subscribe_url": f"{base_url}/subscribe",
        "archive_url": None,
        "date_label": None,
        "unsubscribe_url": UNSUBSCRIBE_URL_MARK,
        "preferences_url": PREFERENCES_URL_MARK,
        "greeting": GREETING_MARK,
    }


def _numbered(body_html: str, number: int | None, title: str | None) -> Markup:
    """The item's number (the source's own) put at the start of its first paragraph, as in
    the digest; ``title`` (when the body does not start with it) goes first, in bold."""
    # Safe: ``body_html`` comes out of the nh3 allowlist sanitizer, ``number`` is an int,
    # ``title`` is escaped.
    num = f'<span class="nl-num">{number}.</span> ' if number is not None else ""
    if title:
        return Markup(f"<p>{num}<strong>{escape(title)}</strong></p>{body_html}")  # noqa: S704
    if body_html.startswith("<p>"):
        return Markup(f"<p>{num}{body_html[3:]}")  # noqa: S704
    return Markup(f"<p>{num}</p>{body_html}" if num else body_html)  # noqa: S704


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _item(raw: dict[str, Any], placer: media_place.ImagePlacer) -> dict[str, Any]:
    title = untrusted_text(str(raw.get("title", ""))).strip()
    body = str(raw.get("body", ""))
    number = _number(raw.get("number"))
    links = []
    for link in raw.get("links") or []:
        url = safe_web_url(str(link.get("url", "")))
        if url is None:
            continue
        text = untrusted_text(str(link.get("text", ""))).strip() or url
        links.append({"text": text, "url": url})
    body_text = markdown.to_text(body)
    # A numbered heading's title is not part of its body; a list entry's title is its lead.
    lead = " ".join(title.rstrip("…").split())
    own_title = not " ".join(body_text.split()).startswith(lead)
    text = f"{title}\n{body_text}".strip() if own_title else body_text
    return {
        "kind": "item",
        "number": number,
        "title": title,
        "html": _numbered(markdown.to_html(body), number, title if own_title else None),
        "text": text,
        "text_numbered": f"{number}. {text}" if number is not None else f"- {text}",
        "links": links,
        # The stored copies at their real size (newsletter.media), each image once.
        "images": placer.images(raw.get("images") or [], title=title),
    }


def _text_block(raw: dict[str, Any], placer: media_place.ImagePlacer) -> dict[str, Any] | None:
    source = str(raw.get("markdown", ""))
    html = markdown.to_html(source)
    images = placer.images(raw.get("images") or [], title="")
    if not html and not images:
        return None
    return {
        "kind": "text",
        "html": Markup(html),  # noqa: S704 (nh3-sanitized)
        "text": markdown.to_text(source),
        "links": [],
        "images": images,
    }


def _blocks(raw_section: dict[str, Any], placer: media_place.ImagePlacer) -> list[dict[str, Any]]:
    raw_blocks = raw_section.get("blocks")
    if raw_blocks is None:  # an issue composed before sections had blocks
        raw_blocks = [
            {"kind": "item", "number": n, **item}
            for n, item in enumerate(raw_section.get("items") or [], 1)
        ]
    out = []
    for raw in raw_blocks:
        if raw.get("kind") == "text":
            block = _text_block(raw, placer)
            if block is not None:
                out.append(block)
        else:
            out.append(_item(raw, placer))
    return out


#: The heading of an editor's block without a title of its own.
_ADDED_LABELS: dict[str, Any] = {
    "sponsor": LocalizedStrings().sponsor_label,
    "notice": LocalizedStrings().notice_label,
}


def issue_sections(
    issue: Issue, placer: media_place.ImagePlacer | None = None
) -> list[dict[str, Any]]:
    """The issue's sections as the templates see them: heading (plain text), ``depth``,
    ``url`` (the heading's own link) and ``blocks``, each ``kind`` ``item`` or ``text``.

    ``placer`` places the images (one per render: it remembers which images were shown);
    without one, images keep their source URLs."""
    placer = placer or media_place.ImagePlacer(None)
    sections = []
    for raw_section in issue.sections:
        name = untrusted_text(str(raw_section.get("heading", raw_section.get("name", "")))).strip()
        url = safe_web_url(str(raw_section.get("url") or ""))
        depth = raw_section.get("depth")
        added = str(raw_section.get("added") or "")
        sections.append(
            {
                # An editor's block: a sponsor block is labelled as such (advertising must be
                # recognisable), a notice by its title.
                "name": name or (_ADDED_LABELS.get(added) or ""),
                "added": added,
                "depth": depth if isinstance(depth, int) and depth > 0 else 0,
                "url": url,
                "blocks": _blocks(raw_section, placer),
            }
        )
    return sections


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
        settings,
        subject=subject,
        preheader=issue.preheader or issue.summary,
        test=test,
        every_language=True,
    )
    tables = LocalizedStrings().each()
    day: dt.date = issue.date
    sections = issue_sections(issue, media_place.ImagePlacer(media))
    count = sum(1 for s in sections for b in s["blocks"] if b["kind"] == "item")
    summary = [
        line.strip() for line in untrusted_text(issue.summary or "").splitlines() if line.strip()
    ]
    name = ctx["brand"].name
    slug = edition_slug(issue)
    ctx.update(
        date=day.isoformat(),
        # The edition's own archive: /archive/<date> of emails sent before editions redirects.
        archive_url=archive_issue_url(ctx["base_url"], slug, day),
        archive_index_url=archive_index_url(ctx["base_url"], slug),
        # The public copy's sign-up link leads to this edition's form, in its language.
        subscribe_url=f"{ctx['base_url']}/subscribe?edition={slug}",
        summary_lines=summary,
        headline=untrusted_text(" ".join((issue.headline or issue.subject or "").split())),
        title=untrusted_text(" ".join((issue.subject or "").split())),
        tagline=untrusted_text(" ".join((issue.tagline or "").split())),
        # The editor's note, under the headline, in both parts (sanitized like item bodies).
        note_html=Markup(markdown.to_html(note_of(issue.edits))),  # noqa: S704 (nh3-sanitized)
        note_text=markdown.to_text(note_of(issue.edits)),
        sections=sections,
        item_count=count,
        date_label=Localized({k: t.date_label(day) for k, t in tables.items()}),
        intro=Localized(
            {k: t.intro_for(day=day, newsletter=name, count=count) for k, t in tables.items()}
        ),
        footer_reason=Localized(
            {k: t.footer_reason.format(newsletter=name) for k, t in tables.items()}
        ),
        footer_public=Localized(
            {k: t.footer_public.format(newsletter=name) for k, t in tables.items()}
        ),
    )
    return ctx

"""Before a send: every stored image the rendered issue uses must be in the store.

Gmail's image proxy caches a failed fetch, so an image missing at send time stays broken
for that reader; the send is refused instead, naming the missing images.
"""

from __future__ import annotations

from newsletter.errors import StateError
from newsletter.htmlscan import scan_html
from newsletter.media.store import MediaStore, media_store, name_in_store
from newsletter.settings import Settings


def missing_media(html: str, *, store: MediaStore) -> list[str]:
    """The URLs of ``html``'s images that point into ``store`` but are not stored there."""
    missing = []
    seen: set[str] = set()
    for img in scan_html(html).find("img"):
        src = img.get("src").strip()
        name = name_in_store(store, src)
        if name is None or src in seen:
            continue
        seen.add(src)
        if not store.exists(name):
            missing.append(src)
    return missing


def check_issue_media(html: str, settings: Settings, *, store: MediaStore | None = None) -> None:
    """:class:`StateError` naming the stored images of ``html`` missing from the store (the
    store of ``settings`` unless one is given); nothing when all exist (or none is used)."""
    missing = missing_media(html, store=store if store is not None else media_store(settings))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise StateError(
            f"{len(missing)} stored image(s) of the issue are missing from the media store "
            f"({missing[0]}{more}): render the issue again before sending"
        )

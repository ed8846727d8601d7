"""The read-only lookup shared by the unsubscribe and confirm pages (GETs never write)."""

from __future__ import annotations

from dataclasses import dataclass, field

from newsletter.archive import PublicEdition
from newsletter.audience import SubscriptionView, subscription_view
from newsletter.preferences import page_language, preferences_view
from newsletter.settings import Settings
from newsletter.tokens import TokenData, TokenPurpose, make_token
from subscribers.editions import list_edition, reading, settings_of
from subscribers.services import Services


@dataclass(frozen=True)
class LinkView:
    """What a personal link's page shows, and the edition of its list (None: a list no
    edition sends to) whose name the page takes; ``language`` is the reader's (the core's
    choice: their own, else the list's), ``other_lists`` the other lists they are on."""

    view: SubscriptionView
    edition: PublicEdition | None
    language: str = ""
    other_lists: list[str] = field(default_factory=list)

    def settings(self, fallback: Settings) -> Settings:
        """The settings of the page: the edition's, else ``fallback`` (the service's)."""
        return settings_of(self.edition, fallback)


def link_view(svc: Services, data: TokenData) -> LinkView:
    """What the page of a verified personal link shows (status None if there is none),
    named as the edition of the list names it, in the reader's language."""
    with reading(svc.engine) as session:
        edition = list_edition(session, svc.settings, data.list_id)
        settings = settings_of(edition, svc.settings)
        view = subscription_view(
            session, settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
        language = page_language(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
        prefs = preferences_view(
            session, svc.settings, subscriber_id=data.subscriber_id, list_id=data.list_id
        )
        others = (
            []
            if prefs is None
            else [c.label for c in prefs.subscribed if c.list_id != data.list_id]
        )
        return LinkView(view, edition, language, others)


def preferences_path(svc: Services, data: TokenData) -> str:
    """The path of the preference page of the person (and list) of a verified link."""
    token = make_token(
        svc.settings,
        purpose=TokenPurpose.PREFERENCES,
        subscriber_id=data.subscriber_id,
        list_id=data.list_id,
    )
    return f"/preferences/{token}"

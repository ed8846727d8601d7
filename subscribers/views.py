"""The read-only lookup shared by the unsubscribe and confirm pages (GETs never write)."""

from __future__ import annotations

from dataclasses import dataclass

from newsletter.archive import PublicEdition
from newsletter.audience import SubscriptionView, subscription_view
from newsletter.settings import Settings
from newsletter.tokens import TokenData
from subscribers.editions import list_edition, reading, settings_of
from subscribers.services import Services


@dataclass(frozen=True)
class LinkView:
    """What a personal link's page shows, and the edition of its list (None: a list no
    edition sends to) whose language and name the page takes."""

    view: SubscriptionView
    edition: PublicEdition | None

    def settings(self, fallback: Settings) -> Settings:
        """The settings of the page: the edition's, else ``fallback`` (the service's)."""
        return settings_of(self.edition, fallback)


def link_view(svc: Services, data: TokenData) -> LinkView:
    """What the page of a verified personal link shows (status None if there is none),
    named as the edition of the list names it."""
    with reading(svc.engine) as session:
        edition = list_edition(session, svc.settings, data.list_id)
        view = subscription_view(
            session,
            settings_of(edition, svc.settings),
            subscriber_id=data.subscriber_id,
            list_id=data.list_id,
        )
        return LinkView(view, edition)

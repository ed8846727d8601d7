"""What every route needs, made once per app: settings, engine, pages, limits, transport."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import cast

from sqlalchemy import Engine
from starlette.requests import Request

from newsletter.feedback.sns import SnsVerifier
from newsletter.settings import Settings
from newsletter.transport import Transport, make_transport
from subscribers.pages import Pages
from subscribers.throttle import SignupThrottle


class Services:
    """The app's dependencies. The transport is made on first use (a page view never needs it)."""

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine,
        transport: Transport | None = None,
        sns_verifier: SnsVerifier | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.pages = Pages(settings)
        self.sns_verifier = sns_verifier or SnsVerifier(settings.sns_topic_arns)
        window = settings.subscribe_rate_window_seconds
        self.address_throttle = SignupThrottle(
            limit=settings.subscribe_rate_per_address, window_seconds=window, clock=clock
        )
        self.client_throttle = SignupThrottle(
            limit=settings.subscribe_rate_per_client, window_seconds=window, clock=clock
        )
        self._transport = transport
        self._lock = threading.Lock()

    def transport(self) -> Transport:
        """The transport given to the app, or one made from the settings (once)."""
        with self._lock:
            if self._transport is None:
                self._transport = make_transport(self.settings, concurrency=1)
            return self._transport


def services(request: Request) -> Services:
    """The :class:`Services` of the app serving ``request``."""
    return cast(Services, request.app.state.services)

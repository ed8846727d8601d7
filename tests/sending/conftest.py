"""Fixtures of the sending tests: a seeded database, moto's SES server, a fault-injecting
proxy in front of it (helpers in tests/support/sending.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine

from newsletter.render import RenderedEmail, render_issue
from newsletter.settings import Settings
from tests.support.factories import issue_from_digest, render_settings
from tests.support.paths import SAMPLE
from tests.support.sending import FaultProxy, Ses, World, make_world

# --- the seeded database --------------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_rendering() -> RenderedEmail:
    """The sample issue rendered once per session (the same bytes render_and_store stores)."""
    return render_issue(issue_from_digest(SAMPLE), render_settings())


@pytest.fixture
def world(engine: Engine, settings: Settings, sample_rendering: RenderedEmail) -> World:
    """The sample issue, rendered and stored (status RENDERED), and an empty list "daily"."""
    return make_world(engine, settings, sample_rendering)


# --- moto's SES server, and a fault-injecting proxy in front of it ---------------------------


@pytest.fixture
def fault_proxy(ses: Ses) -> Iterator[Callable[[Callable[[int], str | None]], FaultProxy]]:
    """A factory of fault proxies in front of the reset moto server (closed after the test)."""
    made: list[FaultProxy] = []

    def make(fail: Callable[[int], str | None]) -> FaultProxy:
        proxy = FaultProxy(ses.endpoint, fail).__enter__()
        made.append(proxy)
        return proxy

    yield make
    for p in made:
        p.__exit__(None, None, None)

"""Debian's Chromium driven by Playwright (Playwright's own browser download is not used).

Playwright is imported only when a browser is launched, so that tests without a browser
never load it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out of this closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


class BrowserMissingError(RuntimeError):
    """Chromium is not installed."""


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit; :class:`BrowserMissingError` when it is not installed."""
    if not Path(CHROMIUM).exists():
        raise BrowserMissingError(
            f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

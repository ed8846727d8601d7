"""Who the newsletter says it is: one brand name, and a real postal address in every footer.

Anti-spam law (CAN-SPAM in the US, and its kin elsewhere) requires a valid physical postal
address in every commercial email, and mailbox providers trust a sender whose From name,
masthead, footer and List-Id agree. These checks are used by the send (which refuses
without an address) and by ``issue lint`` (which also reports an example address and a
From name that differs from the newsletter's name).
"""

from __future__ import annotations

import re
from email.utils import parseaddr

from newsletter.errors import ConfigError
from newsletter.settings import Settings

#: A postal address for test sends and the demo, which says what it is.
DEMO_POSTAL_ADDRESS = "演示用地址，并非真实邮寄地址 · Demo only: not a real postal address"
_EXAMPLE = re.compile(
    r"\bexample\b|\bdemo\b|\bplaceholder\b|\bchangeme\b|示例|演示|占位|\b1 main st", re.IGNORECASE
)


def postal_address_problem(settings: Settings) -> str | None:
    """Why ``NEWSLETTER_POSTAL_ADDRESS`` cannot go into a real send's footer, or None."""
    address = " ".join(settings.postal_address.split())
    if not address:
        return (
            "NEWSLETTER_POSTAL_ADDRESS is not set: every newsletter's footer must show the "
            "sender's postal address (CAN-SPAM and mailbox provider rules)"
        )
    if _EXAMPLE.search(address):
        return f"NEWSLETTER_POSTAL_ADDRESS looks like an example or demo address: {address!r}"
    return None


def require_postal_address(settings: Settings) -> str:
    """The postal address of a real send; :class:`ConfigError` when it is not set.

    An example or demo value is let through (the demo sends with one that says so); lint
    reports it.
    """
    address = " ".join(settings.postal_address.split())
    if not address:
        problem = postal_address_problem(settings)
        raise ConfigError(f"{problem}; a real send refuses without it")
    return address


def brand_problem(settings: Settings) -> str | None:
    """Why the From display name and ``NEWSLETTER_NEWSLETTER_NAME`` disagree, or None.

    The name is the masthead, the footer and the List-Id label; the From name is what the
    inbox shows. A From without a display name is reported too.
    """
    name = " ".join(settings.newsletter_name.split())
    if not settings.sender:
        return None  # a send refuses without a sender anyway
    display = " ".join(parseaddr(settings.sender)[0].split())
    if not display:
        return (
            f"NEWSLETTER_SENDER has no display name: use {name!r} "
            f"(e.g. {name} <{settings.sender_address}>)"
        )
    if display.casefold() != name.casefold():
        return (
            f"NEWSLETTER_SENDER's display name {display!r} differs from "
            f"NEWSLETTER_NEWSLETTER_NAME {name!r}: the inbox, the masthead, the footer and "
            "List-Id should show one name"
        )
    return None

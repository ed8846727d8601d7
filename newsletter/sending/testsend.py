"""`send test`: the issue, marked as a test, to editors. No ledger row, no status change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from newsletter.audience import mask_email, normalize_email
from newsletter.compose import get_issue
from newsletter.db import transaction
from newsletter.editions import get_edition, issue_settings
from newsletter.errors import ConfigError
from newsletter.media.stage import prepare_issue_media
from newsletter.render import render_issue
from newsletter.sending.personal import EditorCopyMailer
from newsletter.sending.single import deliver_one
from newsletter.settings import Settings
from newsletter.transport import AccountError, PermanentError, TransientError, Transport


@dataclass(frozen=True)
class TestCopy:
    """One test copy: where it went (masked) and the provider's id, or why it failed."""

    __test__ = False  # not a pytest test class

    to: str
    message_id: str = ""
    error: str = ""


def send_test(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    date: dt.date,
    to: Sequence[str] = (),
    attempts: int = 4,
    edition: str | None = None,
) -> list[TestCopy]:
    """Send the test rendering of the issue of ``date`` (of ``edition``, default: the
    default one) to ``to`` (default: the editors), as that edition's email.

    The copy has the ``[TEST]`` subject prefix and banner of the test rendering and an
    unsubscribe link that unsubscribes nobody. The issue is rendered in memory, never stored;
    the ledger and the issue's status are not touched. Addresses are checked first (a bad one
    raises :class:`InputError` before anything is sent); an account-level error stops at once.
    """
    recipients = list(to) or list(settings.editors)
    if not recipients:
        raise ConfigError("no recipients: pass --to or set NEWSLETTER_EDITORS (a JSON list)")
    addresses = [normalize_email(a) for a in recipients]
    with transaction(engine) as session:
        issue = get_issue(session, date, edition=get_edition(session, edition))
        settings = issue_settings(settings, issue)
        settings.require_sender()
        # The images as subscribers will see them: stored copies (fetched once, reused).
        media = prepare_issue_media(session, issue, settings)
        rendered = render_issue(issue, settings, test=True, media=media)
    mailer = EditorCopyMailer(
        settings, rendered=rendered, list_name=settings.default_list, issue_date=date.isoformat()
    )
    copies = []
    for address in addresses:
        try:
            message_id = deliver_one(transport, mailer.message(address), attempts=attempts)
        except (TransientError, PermanentError) as exc:
            copies.append(TestCopy(mask_email(address), error=str(exc)))
            continue
        except AccountError:
            raise
        copies.append(TestCopy(mask_email(address), message_id=message_id))
    return copies

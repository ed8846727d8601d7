"""The double opt-in module: who is owed an email, the list's name for readers, the email."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

import pytest
from sqlalchemy.orm import Session

from newsletter import optin
from newsletter.audience import add_subscriber, create_list, unsubscribe
from newsletter.feedback.suppression import record_bounce
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from newsletter.transport import (
    AccountError,
    MemoryTransport,
    OutgoingMessage,
    PermanentError,
    SendQuota,
)
from newsletter.transport.base import Closing


def _parse(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_who_is_owed_a_confirmation_email(session: Session, settings: Settings) -> None:
    new = optin.add(session, settings, email="new@example.com", list_name="daily", name="N")
    assert new.result.outcome == "pending"
    assert [(t.email, t.list_label) for t in new.confirmations] == [("new@example.com", "AI 日报")]
    # Asked again while pending: the email is sent again (the form throttles how often).
    again = optin.sign_up(session, settings, email="NEW@example.com")
    assert again.result.outcome == "already"
    assert [t.subscriber_id for t in again.confirmations] == [new.confirmations[0].subscriber_id]
    quiet = optin.add(
        session, settings, email="quiet@example.com", list_name="daily", send_email=False
    )
    assert quiet.confirmations == []
    active = optin.add(session, settings, email="on@example.com", list_name="daily", confirmed=True)
    assert active.confirmations == []
    assert optin.sign_up(session, settings, email="on@example.com").confirmations == []
    # Unsubscribed, then signed up again: pending once more, so owed an email.
    assert active.result.subscriber is not None
    unsubscribe(session, subscriber_id=active.result.subscriber.id, list_id=None, method="operator")
    back = optin.sign_up(session, settings, email="on@example.com")
    assert back.result.outcome == "reactivated_pending"
    assert len(back.confirmations) == 1
    # Bounced: never.
    record_bounce(session, email="new@example.com", permanent=True, detail="550", soft_limit=1)
    assert optin.sign_up(session, settings, email="new@example.com").confirmations == []


def test_confirmation_targets_are_pending_people_in_good_standing(
    session: Session, settings: Settings
) -> None:
    for address, confirmed in (("wait@example.com", False), ("done@example.com", True)):
        add_subscriber(session, email=address, list_name="daily", confirmed=confirmed)
    gone = add_subscriber(session, email="gone@example.com", list_name="daily")
    assert gone.subscriber is not None
    record_bounce(session, email="gone@example.com", permanent=True, detail="", soft_limit=1)
    targets = optin.confirmation_targets(session, settings)
    assert [(t.email, t.list_label) for t in targets] == [("wait@example.com", "AI 日报")]
    assert optin.confirmation_targets(session, settings, subscriber_ids=[gone.subscriber.id]) == []


def test_the_list_label_is_the_same_whoever_asks(session: Session, settings: Settings) -> None:
    create_list(session, "weekly", description="AI 周报")
    create_list(session, "bare")
    labels = {}
    for list_name in ("daily", "weekly", "bare"):
        added = optin.add(session, settings, email=f"{list_name}@example.com", list_name=list_name)
        labels[list_name] = added.confirmations[0].list_label
    assert labels == {"daily": "AI 日报", "weekly": "AI 周报", "bare": "bare"}


def test_the_email_has_a_confirm_link_no_unsubscribe_and_a_bare_to(
    session: Session, settings: Settings
) -> None:
    added = optin.add(
        session,
        settings,
        email="new@example.com",
        list_name="daily",
        name="You won $1000! Claim at https://evil.example/claim now",
    )
    (target,) = added.confirmations
    transport = MemoryTransport()
    assert optin.send_confirmation(settings, transport, target) == "mem-1"
    (sent,) = transport.sent
    assert sent.recipients == ("new@example.com",)
    assert ("type", "confirm") in sent.tags
    message = _parse(sent.raw)
    assert message["To"] == "new@example.com"
    assert message["Subject"] == "请确认订阅AI 日报"
    assert message["List-Unsubscribe"] is None
    text = message.get_body(("plain",))
    assert text is not None
    found = re.search(r"https://news\.example\.com/confirm/(\S+)", text.get_content())
    assert found is not None
    data = read_token(settings, found.group(1), purpose=TokenPurpose.CONFIRM)
    assert (data.subscriber_id, data.list_id) == (target.subscriber_id, target.list_id)


class Refusing(Closing):
    """Refuses one address permanently, or everything at the account level."""

    name = "refusing"

    def __init__(self, *, refuse: str = "", account: bool = False) -> None:
        self.inner = MemoryTransport()
        self.refuse = refuse
        self.account = account

    def send(self, message: OutgoingMessage) -> str:
        if self.account:
            raise AccountError("SES refuses to send for this account (SendingPausedException)")
        if message.recipients[0] == self.refuse:
            raise PermanentError("SES rejected the message (MessageRejected)")
        return self.inner.send(message)

    def quota(self) -> SendQuota | None:
        return None

    def close(self) -> None:
        pass


def test_one_refused_email_is_counted_an_account_error_stops(
    session: Session, settings: Settings
) -> None:
    for n in range(3):
        add_subscriber(session, email=f"p{n}@example.com", list_name="daily")
    targets = optin.confirmation_targets(session, settings)
    transport = Refusing(refuse="p1@example.com")
    outcome = optin.send_confirmations(settings, transport, targets)
    assert (outcome.sent, outcome.failed) == (2, 1)
    assert sorted(m.recipients[0] for m in transport.inner.sent) == [
        "p0@example.com",
        "p2@example.com",
    ]
    with pytest.raises(AccountError):
        optin.send_confirmations(settings, Refusing(account=True), targets)

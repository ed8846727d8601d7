"""The double opt-in email through the transport."""

from __future__ import annotations

import re

import pytest

from newsletter.audience import confirmation_targets
from newsletter.db import transaction
from newsletter.models import Subscriber, Subscription
from newsletter.sending import confirmation_sender, send_confirmation
from newsletter.tokens import TokenPurpose, read_token
from newsletter.transport import (
    AccountError,
    MemoryTransport,
    OutgoingMessage,
    PermanentError,
    SendQuota,
)
from tests.support.mail import parse
from tests.support.sending import World


def _pending(world: World, address: str, name: str = "读者") -> tuple[Subscriber, Subscription]:
    sid = world.add_one(address, name=name, confirmed=False)
    with transaction(world.engine) as session:
        subscriber = session.get(Subscriber, sid)
        assert subscriber is not None
        subscription = subscriber.subscriptions[0]
        return subscriber, subscription


def test_confirmation_email_carries_a_confirm_link_and_no_unsubscribe(world: World) -> None:
    subscriber, subscription = _pending(world, "new@example.com")
    transport = MemoryTransport()
    message_id = send_confirmation(
        world.settings,
        transport,
        subscriber=subscriber,
        subscription=subscription,
        list_name="daily",
    )
    assert message_id == "mem-1"
    (sent,) = transport.sent
    assert sent.recipients == ("new@example.com",)
    assert ("type", "confirm") in sent.tags
    msg = parse(sent.raw)
    assert msg["To"].addresses[0].display_name == "读者"
    assert msg["List-Unsubscribe"] is None
    text = msg.get_body(("plain",))
    assert text is not None
    found = re.search(r"https://news\.example\.com/confirm/(\S+)", text.get_content())
    assert found is not None
    data = read_token(world.settings, found.group(1), purpose=TokenPurpose.CONFIRM)
    assert data.subscriber_id == subscriber.id
    assert data.list_id == subscription.list_id


class Refusing:
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


def test_confirmation_sender_for_the_cli_and_web(world: World) -> None:
    for n in range(3):
        _pending(world, f"p{n}@example.com")
    transport = Refusing(refuse="p1@example.com")
    send = confirmation_sender(world.settings, transport)
    with transaction(world.engine) as session:
        targets = confirmation_targets(session, list_id=world.list_id)
        assert send(session, targets) == 2
    assert sorted(m.recipients[0] for m in transport.inner.sent) == [
        "p0@example.com",
        "p2@example.com",
    ]
    stopped = confirmation_sender(world.settings, Refusing(account=True))
    with transaction(world.engine) as session, pytest.raises(AccountError):
        stopped(session, confirmation_targets(session))

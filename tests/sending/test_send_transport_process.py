"""The provider's calls in sender processes (NEWSLETTER_SEND_PROCESSES): a child that dies, a
whole send through children on both databases, and the errors carried across the pipe.

The SES requests and their classified errors through a child are the SES transport's own
tests, run both ways (tests/sending/test_send_transport_ses.py); the faults-and-rate test
runs a whole send through two children (tests/sending/test_send_faults.py).
"""

from __future__ import annotations

import ast
import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import newsletter
from newsletter.models import DeliveryState
from newsletter.sending import SendOptions, send_issue
from newsletter.sending.options import Tuning
from newsletter.sending.runs import process_gone
from newsletter.settings import Settings
from newsletter.transport import (
    AccountError,
    OutgoingMessage,
    PermanentError,
    TransientError,
    make_transport,
)
from newsletter.transport.process import ProcessTransport, SenderProcessLost, reply_of, value_of
from tests.support.mail import outbox_files, parse
from tests.support.sending import DATE, FaultProxy, Ses, World


def _message(to: str = "reader@example.com") -> OutgoingMessage:
    raw = (
        f"From: news@example.com\r\nTo: {to}\r\nSubject: x\r\n"
        f"Message-ID: <{to}@example.com>\r\n\r\nhello\r\n"
    ).encode()
    return OutgoingMessage("news@example.com", (to,), raw)


def _wait_for(condition: Callable[[], bool], *, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


@pytest.mark.parametrize(
    "error",
    [
        TransientError("SES throttled the send", throttled=True),
        TransientError("SES server error 503"),
        PermanentError("SES rejected the message"),
        AccountError("SES daily sending quota used up", daily_quota=True),
        AccountError("SES refuses to send for this account"),
    ],
    ids=repr,
)
def test_each_classified_error_comes_back_as_itself(error: Exception) -> None:
    def fail() -> None:
        raise error

    with pytest.raises(type(error)) as raised:
        value_of(reply_of(fail))
    assert str(raised.value) == str(error)
    assert getattr(raised.value, "throttled", None) == getattr(error, "throttled", None)
    assert getattr(raised.value, "daily_quota", None) == getattr(error, "daily_quota", None)


def test_a_bug_in_the_child_is_not_a_transport_error() -> None:
    def fail() -> None:
        raise KeyError("MessageId")

    with pytest.raises(SenderProcessLost, match="KeyError"):
        value_of(reply_of(fail))
    assert value_of(reply_of(lambda: "0100-id")) == "0100-id"


def test_a_killed_sender_process_fails_what_it_held_and_everything_after(
    fault_proxy: Callable[[Callable[[int], str | None]], FaultProxy],
) -> None:
    gate = threading.Event()

    def hold_the_first(n: int) -> None:
        if n == 1:  # the child holds this request when it is killed
            gate.wait(30)

    proxy = fault_proxy(hold_the_first)
    settings = Settings(transport="ses", ses_endpoint_url=proxy.url, send_processes=1)
    transport = make_transport(settings, concurrency=2)
    assert isinstance(transport, ProcessTransport)
    (pid,) = transport.pids
    outcome: list[BaseException | str] = []

    def send() -> None:
        try:
            outcome.append(transport.send(_message()))
        except BaseException as exc:
            outcome.append(exc)

    held = threading.Thread(target=send)
    held.start()
    try:
        _wait_for(lambda: proxy.calls == 1, what="the request to reach the proxy")
        os.kill(pid, signal.SIGKILL)
        held.join(30)
        assert not held.is_alive(), "the waiting send was answered"
        (lost,) = outcome
        assert isinstance(lost, SenderProcessLost)
        assert "newsletter-sender-0 ended" in str(lost)
        with pytest.raises(SenderProcessLost):
            transport.send(_message("later@example.com"))
        with pytest.raises(SenderProcessLost):
            transport.quota()
    finally:
        gate.set()
        started = time.monotonic()
        transport.close()
    assert time.monotonic() - started < 10, "closing after a loss does not wait for the dead"
    assert proxy.calls == 1, "nothing was sent after the loss"


def test_a_send_through_sender_processes_on_both_databases(world: World, ses: Ses) -> None:
    ids = world.add(30)
    settings = Settings(transport="ses", ses_endpoint_url=ses.endpoint, send_processes=2)
    with make_transport(settings, concurrency=4) as transport:
        assert isinstance(transport, ProcessTransport)
        transport.wait_ready()
        report = send_issue(
            world.engine,
            world.settings,
            transport,
            options=SendOptions(date=DATE, rate=None, concurrency=4),
        )
    assert report.status == "finished", report.stop_reason
    assert report.sent == 30
    got = Counter(ses.recipients())
    assert got == Counter(world.emails[i] for i in ids)
    rows = world.deliveries()
    assert {rows[i].message_id for i in ids} == {a["id"] for a in ses.accepted()}


def test_a_sender_process_that_dies_stops_the_send_and_the_next_run_finishes(
    world: World,
) -> None:
    ids = world.add(40)
    outbox = world.settings.file_outbox
    in_a_child = world.settings.model_copy(update={"send_processes": 1})
    transport = make_transport(in_a_child, concurrency=4)
    assert isinstance(transport, ProcessTransport)
    (pid,) = transport.pids

    def kill_after_some() -> None:
        _wait_for(lambda: len(outbox_files(outbox)) >= 5, what="five messages")
        os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_after_some)
    killer.start()
    options = SendOptions(date=DATE, rate=40, concurrency=4, tuning=Tuning(seed=1))
    try:
        report = send_issue(world.engine, world.settings, transport, options=options)
    finally:
        killer.join(60)
        transport.close()
    assert report.status == "stopped"
    assert "sender process" in report.stop_reason
    rows = world.deliveries()
    states = Counter(r.state for r in rows.values())
    # What the child held when it died stays "sending": it may or may not have gone out.
    assert states[DeliveryState.SENDING] <= 4
    assert not states[DeliveryState.FAILED]
    assert 5 <= states[DeliveryState.SENT] < 40

    again = send_issue(
        world.engine,
        world.settings,
        make_transport(world.settings, concurrency=4),
        options=SendOptions(date=DATE, rate=None, concurrency=4),
    )
    assert again.status == "finished", again.stop_reason
    assert {r.state for r in world.deliveries().values()} == {DeliveryState.SENT}
    received = Counter(
        parse(p.read_bytes())["To"].addresses[0].addr_spec for p in outbox_files(outbox)
    )
    by_email = {world.emails[i]: i for i in ids}
    assert set(received) == set(by_email), "nobody skipped"
    twice = {by_email[e] for e, n in received.items() if n > 1}
    assert twice <= set(again.uncertain_subscriber_ids), "a second copy only where uncertain"
    assert process_gone(pid)


def test_a_child_that_cannot_make_its_transport_says_why() -> None:
    settings = Settings(transport="ses", ses_region="not a region!", send_processes=1)
    with make_transport(settings, concurrency=1) as transport:
        assert isinstance(transport, ProcessTransport)
        with pytest.raises(SenderProcessLost, match="cannot start the ses transport: .*region"):
            transport.wait_ready()
        with pytest.raises(SenderProcessLost, match="cannot start the ses transport"):
            transport.send(_message())


#: Where a transport may be made from its class: its own package, whose ``make_transport``
#: is what every send path calls (so NEWSLETTER_SEND_PROCESSES applies on each of them).
TRANSPORT_CLASSES = frozenset(
    {"SesTransport", "SmtpTransport", "FileTransport", "ProcessTransport"}
)


def test_every_path_makes_its_transport_through_make_transport() -> None:
    root = Path(newsletter.__file__).parent
    made_elsewhere = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "transport"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = func.value if isinstance(func, ast.Attribute) else None
            owner_name = getattr(owner, "id", "")
            if name in TRANSPORT_CLASSES or owner_name in TRANSPORT_CLASSES:
                made_elsewhere.append(f"{path.relative_to(root)}:{node.lineno}")
    assert made_elsewhere == []

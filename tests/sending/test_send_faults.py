"""Fault injection: throttling and 5xx on a share of requests, in memory and over HTTP.

Every active subscriber gets exactly one message, the rate is never exceeded (counting every
request, the refused ones too), and nobody who left receives anything.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from newsletter.audience import unsubscribe
from newsletter.db import transaction
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import DeliveryState, IssueStatus
from newsletter.sending import Backoff, SendOptions, Tuning, send_issue
from newsletter.settings import Settings
from newsletter.transport import MemoryTransport, make_transport
from tests.support.sending import DATE, FaultProxy, FlakyTransport, Ses, World, max_in_window

# A 20 % margin keeps the guarantee at the receiving end even when this shared test
# machine delays a request by up to 200 ms more than the ones after it.
TUNING = Tuning(
    backoff=Backoff(base=0.01, throttled_base=0.02, cap=0.2),
    max_attempts=20,
    rate_margin=0.2,
    batch_size=25,
    seed=3,
)


def pattern(n: int) -> str | None:
    """About 40 % of calls fail: every 3rd is throttled, every 5th (else) a 503."""
    if n % 3 == 0:
        return "throttle"
    if n % 5 == 0:
        return "5xx"
    return None


def _leavers(world: World) -> set[str]:
    """Three subscribers who left in the three ways; their addresses."""
    gone = world.add(3, start=900)
    with transaction(world.engine) as session:
        unsubscribe(session, subscriber_id=gone[0], list_id=world.list_id, method="one-click")
        record_bounce(
            session, email=world.emails[gone[1]], permanent=True, detail="550", soft_limit=3
        )
        record_complaint(session, email=world.emails[gone[2]], detail="abuse")
    return {world.emails[i] for i in gone}


def _check_ledger(world: World, active: list[int]) -> None:
    rows = world.deliveries()
    assert {rows[i].state for i in active} == {DeliveryState.SENT}
    assert world.issue_status() is IssueStatus.SENT


def test_memory_faults_exactly_once_and_rate_kept(world: World) -> None:
    active = world.add(150)
    left = _leavers(world)
    inner = MemoryTransport()
    flaky = FlakyTransport(inner, pattern)
    options = SendOptions(date=DATE, rate=100, concurrency=8, tuning=TUNING)
    report = send_issue(world.engine, world.settings, flaky, options=options)
    assert report.status == "finished"
    got = Counter(m.recipients[0] for m in inner.sent)
    assert set(got) == {world.emails[i] for i in active}
    assert set(got.values()) == {1}
    assert not left & set(got)
    assert flaky.faults > 50, "the faults really happened"
    assert report.retries == flaky.faults
    assert max_in_window(flaky.call_times) <= 100
    _check_ledger(world, active)


@pytest.mark.parametrize("processes", [0, 2], ids=["in-process", "two-sender-processes"])
def test_http_faults_through_moto_exactly_once_and_rate_kept(
    world: World,
    ses: Ses,
    fault_proxy: Callable[[Callable[[int], str | None]], FaultProxy],
    processes: int,
) -> None:
    active = world.add(60)
    left = _leavers(world)
    proxy = fault_proxy(pattern)
    settings = Settings(transport="ses", ses_endpoint_url=proxy.url, send_processes=processes)
    transport = make_transport(settings, concurrency=6)
    try:
        report = send_issue(
            world.engine,
            world.settings,
            transport,
            options=SendOptions(date=DATE, rate=25, concurrency=6, tuning=TUNING),
        )
    finally:
        transport.close()
    assert report.status == "finished"
    got = Counter(ses.recipients())
    assert set(got) == {world.emails[i] for i in active}
    assert set(got.values()) == {1}
    assert not left & set(got)
    assert proxy.faults > 20
    # SES would count every request, refused or not: never more than 25 in any second.
    assert max_in_window(proxy.arrival_times) <= 25
    rows = world.deliveries()
    message_ids = {a["id"] for a in ses.accepted()}
    assert {rows[i].message_id for i in active} == message_ids
    _check_ledger(world, active)

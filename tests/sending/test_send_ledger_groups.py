"""Results written in groups: every row gets its own message id (SQLite and PostgreSQL)."""

from __future__ import annotations

from newsletter.models import DeliveryState
from newsletter.sending import Backoff, SendOptions, Tuning, send_issue
from newsletter.transport import MemoryTransport
from tests.support.sending import DATE, World


def test_each_row_keeps_the_message_id_of_its_own_message(world: World) -> None:
    ids = world.add(60)
    transport = MemoryTransport()
    tuning = Tuning(backoff=Backoff(base=0.0, throttled_base=0.0), batch_size=25, seed=1)
    options = SendOptions(date=DATE, rate=None, concurrency=8, tuning=tuning)
    report = send_issue(world.engine, world.settings, transport, options=options)
    assert report.sent == 60
    # MemoryTransport answers mem-<n> for its n-th message.
    expected = {m.recipients[0]: f"mem-{n}" for n, m in enumerate(transport.sent, start=1)}
    rows = world.deliveries()
    assert {r.state for r in rows.values()} == {DeliveryState.SENT}
    assert {world.emails[i]: rows[i].message_id for i in ids} == expected

"""While a worker sends, and in a sender process, the heap built before the send is set aside
from the garbage collector's full collections (see ``newsletter.collector``): a full
collection of it stalls every send thread of the process at once."""

from __future__ import annotations

import gc
import multiprocessing
import threading
from pathlib import Path

from newsletter.sending import SendOptions, send_issue
from newsletter.settings import Settings
from newsletter.transport import MemoryTransport, OutgoingMessage
from newsletter.transport.process import serve_child
from tests.support.sending import DATE, World


class _Watching(MemoryTransport):
    """Notes how many objects are frozen at each send."""

    def __init__(self) -> None:
        super().__init__()
        self.frozen: list[int] = []

    def send(self, message: OutgoingMessage) -> str:
        self.frozen.append(gc.get_freeze_count())
        return super().send(message)


def test_a_worker_sends_with_its_heap_set_aside(world: World) -> None:
    world.add(12)
    transport = _Watching()
    options = SendOptions(date=DATE, rate=None, concurrency=3)
    report = send_issue(world.engine, world.settings, transport, options=options)
    assert report.sent == 12
    # Every message went out with the set-up's objects frozen (thousands: the modules,
    # the rendering), and they are given back once the send is over.
    assert len(transport.frozen) == 12
    assert min(transport.frozen) > 10_000
    assert gc.get_freeze_count() == 0


def test_a_sender_process_serves_with_its_heap_set_aside(tmp_path: Path) -> None:
    parent, child = multiprocessing.Pipe()
    settings = Settings(transport="file", file_outbox=tmp_path / "outbox")
    # The child's life, run on a thread of this process so that this process's collector
    # shows what the child's does.
    serving = threading.Thread(target=serve_child, args=(child, settings, 2), daemon=True)
    serving.start()
    message = OutgoingMessage("news@example.com", ("reader@example.com",), b"Subject: x\r\n\r\nx")
    parent.send((1, "send", message))
    rid, reply = parent.recv()
    assert rid == 1
    assert reply[0] == "ok"
    assert gc.get_freeze_count() > 10_000
    parent.send(None)
    serving.join(10)
    assert not serving.is_alive()
    assert gc.get_freeze_count() == 0

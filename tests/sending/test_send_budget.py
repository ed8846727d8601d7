"""The 24-hour quota as a worker spends it (``Budget``), and where the send draws it."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from newsletter.sending import SendOptions, send_issue
from newsletter.sending.worker.budget import Budget
from newsletter.sending.worker.rate import SendRateLimiter
from newsletter.transport import MemoryTransport, OutgoingMessage, SendQuota
from tests.support.sending import DATE, World


def _taker(budget: Budget, results: list[bool]) -> threading.Thread:
    thread = threading.Thread(target=lambda: results.append(budget.take()), daemon=True)
    thread.start()
    return thread


def test_the_next_grant_is_drawn_ahead_while_the_rest_is_spent() -> None:
    started, release = threading.Event(), threading.Event()
    draws: list[int] = []

    def draw(n: int) -> int:
        draws.append(n)
        if len(draws) == 2:  # the grant drawn ahead: held until the test lets it go
            started.set()
            assert release.wait(10)
        return n

    budget = Budget(0, draw=draw, chunk=4)
    assert budget.take()  # the first grant of 4, drawn on need
    assert budget.take()  # 2 left: not yet under half a grant
    ahead: list[bool] = []
    drawer = _taker(budget, ahead)  # leaves 1, under half a grant: draws the next one
    assert started.wait(10), "the next grant was not drawn before the budget ran out"
    # While that draw is under way, what is left is still handed out, without waiting.
    meanwhile: list[bool] = []
    other = _taker(budget, meanwhile)
    other.join(10)
    assert meanwhile == [True]
    release.set()
    drawer.join(10)
    assert ahead == [True]
    assert draws == [4, 4]
    assert budget.unused() == 4


def test_a_used_up_quota_ends_once_what_is_in_flight_settles() -> None:
    left = {"n": 3}
    calls: list[int] = []

    def draw(n: int) -> int:
        calls.append(n)
        got = min(n, left["n"])
        left["n"] -= got
        return got

    budget = Budget(0, draw=draw, chunk=20)
    assert [budget.take() for _ in range(3)] == [True, True, True]
    assert len(calls) == 1  # it got less than it asked: no drawing ahead of an empty run
    waiting: list[bool] = []
    waiter = _taker(budget, waiting)
    waiter.join(0.2)
    assert waiter.is_alive()  # three in flight: one may come back
    budget.settle(used=False)  # not taken by the provider: its unit is kept
    waiter.join(10)
    assert waiting == [True]
    for _ in range(3):
        budget.settle(used=True)
    assert budget.take() is False
    assert len(calls) <= 3


def test_a_failing_draw_raises_and_leaves_the_budget_usable() -> None:
    fail = {"now": True}

    def draw(n: int) -> int:
        if fail["now"]:
            raise RuntimeError("database gone")
        return n

    budget = Budget(0, draw=draw, chunk=2)
    with pytest.raises(RuntimeError, match="database gone"):
        budget.take()
    fail["now"] = False
    assert budget.take()


def test_a_failing_draw_ahead_leaves_nothing_in_flight() -> None:
    answers = iter([4])

    def draw(n: int) -> int:
        found = next(answers, None)
        if found is None and not drawn_once_more:
            drawn_once_more.append(True)
            raise RuntimeError("database gone")
        return 0 if found is None else found

    drawn_once_more: list[bool] = []
    budget = Budget(0, draw=draw, chunk=4)
    assert budget.take()
    assert budget.take()
    with pytest.raises(RuntimeError, match="database gone"):
        budget.take()  # 1 left: the draw ahead fails, and so does this take
    budget.settle(used=True)
    budget.settle(used=True)
    answers_after: list[bool] = []

    def spend_the_rest() -> None:
        # The unit the failed take gave back, the last one, then no: at once, as nothing is
        # in flight (a take left in flight by the failure would make it wait for ever).
        for _ in range(3):
            answers_after.append(budget.take())
            if answers_after[-1]:
                budget.settle(used=True)

    spender = threading.Thread(target=spend_the_rest, daemon=True)
    spender.start()
    spender.join(10)
    assert answers_after == [True, True, False]


def test_no_limit_takes_without_drawing() -> None:
    budget = Budget(None)
    assert all(budget.take() for _ in range(100))
    assert budget.unused() == 0


class _Marking(MemoryTransport):
    """Clears the sending thread's 'holds a slot' mark when its message goes out."""

    def __init__(self, holding: threading.local, **kw: Any) -> None:
        super().__init__(**kw)
        self._holding = holding

    def send(self, message: OutgoingMessage) -> str:
        self._holding.slot = False
        return super().send(message)


def test_no_thread_holding_a_rate_slot_waits_for_the_quota(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draw from the run's quota is a database transaction: a thread that drew while it
    held its slot would send late (crowding the next second) or let the slot pass."""
    from newsletter.sending import runs

    world.add(60)
    holding = threading.local()
    draws: list[bool] = []
    acquire, draw_quota = SendRateLimiter.acquire, runs.draw_quota

    def marked_acquire(self: SendRateLimiter, *args: Any, **kw: Any) -> bool:
        granted = acquire(self, *args, **kw)
        holding.slot = granted
        return granted

    def watched_draw(*args: Any, **kw: Any) -> int:
        draws.append(getattr(holding, "slot", False))
        return draw_quota(*args, **kw)

    monkeypatch.setattr(SendRateLimiter, "acquire", marked_acquire)
    monkeypatch.setattr(runs, "draw_quota", watched_draw)
    quota = SendQuota(1000.0, 10_000.0, 0.0, real=True, source="test")
    transport = _Marking(holding, quota=quota)
    options = SendOptions(date=DATE, rate=None, concurrency=4)
    report = send_issue(world.engine, world.settings, transport, options=options)
    assert report.status == "finished", report.stop_reason
    assert report.sent == 60
    assert report.rate.effective == 1000.0  # the limiter is on the path
    assert len(draws) >= 3  # 60 messages in grants of 20
    assert not any(draws), "the quota was drawn by a thread holding its rate slot"

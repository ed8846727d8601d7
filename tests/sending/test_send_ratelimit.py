"""The shared rate limiter, on a simulated clock (no real waiting, no timing assertions)."""

from __future__ import annotations

import random
import threading

import pytest

from newsletter.sending.worker.rate import MARGIN, SendRateLimiter
from tests.support.sending import max_in_window


class FakeClock:
    """A clock that only moves when someone sleeps (plus optional scheduling jitter)."""

    def __init__(self, jitter: float = 0.0, seed: int = 1) -> None:
        self.now = 1000.0
        self.jitter = jitter
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        with self.lock:
            # A sleep may overshoot (never undershoot), as real sleeps do.
            self.now += seconds + self.rng.uniform(0, self.jitter)
        return False


@pytest.mark.parametrize("rate", [1.0, 14.0, 14.5, 100.0, 1000.0])
@pytest.mark.parametrize("jitter", [0.0, 0.003])
def test_never_over_the_rate_in_any_second_and_close_to_it(rate: float, jitter: float) -> None:
    clock = FakeClock(jitter)
    limiter = SendRateLimiter(rate, clock=clock, sleep=clock.sleep)
    grants = []
    n = int(rate * 20) + 5
    for _ in range(n):
        assert limiter.acquire()
        grants.append(clock())
    assert max_in_window(grants) <= rate
    # Whole messages: 14.5/s means at most 14 in any second.
    achieved = (n - 1) / (grants[-1] - grants[0])
    assert achieved >= int(rate) * 0.95


def test_threads_share_one_budget() -> None:
    clock = FakeClock()
    limiter = SendRateLimiter(50, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(100):
            limiter.acquire()
            with lock:
                grants.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(grants) == 800
    assert max_in_window(grants) <= 50
    assert (len(grants) - 1) / (max(grants) - min(grants)) >= 50 * 0.95


def test_margin_keeps_room_for_request_delays() -> None:
    # Requests reach the provider a little after their grant; with the 4 % margin a delay
    # difference of up to 40 ms never puts more than `rate` into one of its seconds.
    clock = FakeClock()
    limiter = SendRateLimiter(20, clock=clock, sleep=clock.sleep)
    rng = random.Random(7)
    arrivals = []
    for _ in range(400):
        limiter.acquire()
        arrivals.append(clock() + rng.uniform(0, 0.039))
    assert max_in_window(arrivals) <= 20


def test_an_idle_spell_builds_no_burst() -> None:
    clock = FakeClock()
    limiter = SendRateLimiter(10, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now += 60  # idle for a minute
    first = clock()
    for _ in range(3):
        limiter.acquire()
    assert clock() - first >= 2 * (1 + MARGIN) / 10 - 0.05 - 1e-9


def test_units_count_recipients() -> None:
    clock = FakeClock()
    limiter = SendRateLimiter(10, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(20):
        limiter.acquire(units=5)
        times.extend([clock()] * 5)
    assert max_in_window(times) <= 10


def test_no_limit_and_interrupted_wait() -> None:
    assert SendRateLimiter(None).acquire()
    clock = FakeClock()
    limiter = SendRateLimiter(1, clock=clock, sleep=lambda s: True)
    assert limiter.acquire()  # the first grant needs no wait
    assert not limiter.acquire()  # the second must wait, and the wait is cut short
    with pytest.raises(ValueError, match="negative"):
        SendRateLimiter(-1)


def test_a_lower_rate_holds_at_once_for_every_window_after_it() -> None:
    clock = FakeClock()
    limiter = SendRateLimiter(100, clock=clock, sleep=clock.sleep)
    before = []
    for _ in range(150):
        limiter.acquire()
        before.append(clock())
    changed = clock()
    limiter.set_rate(30)
    after = []
    for _ in range(120):
        limiter.acquire()
        after.append(clock())
    everything = before + after
    # Every one-second window that holds a grant made after the change holds at most 30.
    for t in after:
        assert sum(1 for g in everything if t - 1.0 < g <= t) <= 30
    assert after[0] >= changed


def test_paused_or_out_of_lease_grants_nothing_until_resumed() -> None:
    clock = FakeClock()
    limiter = SendRateLimiter(0, clock=clock, sleep=clock.sleep)
    waits: list[float] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        clock.sleep(seconds)
        if len(waits) == 5:
            limiter.set_rate(10)
        return False

    limiter._sleep = sleep
    assert limiter.acquire()
    assert len(waits) >= 5  # it waited, paused, until the rate came
    limiter.renew(clock() - 1)  # the lease ran out
    stopped = SendRateLimiter(5, clock=clock, sleep=lambda s: True)
    stopped.renew(clock() - 1)
    assert not stopped.acquire()  # waits for a renewal; the stop cuts it short

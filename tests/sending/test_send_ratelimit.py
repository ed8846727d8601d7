"""The run's shared rate: slots from one clock, on a simulated clock (no real waiting, no
timing assertions), and the run's clock in the database taken from by many threads."""

from __future__ import annotations

import itertools
import random
import threading

import pytest

from newsletter.db import transaction
from newsletter.models import Issue, MailingList
from newsletter.sending import runs
from newsletter.sending.worker.rate import LATE, MARGIN, LocalClock, SendRateLimiter
from tests.support.sending import World, max_in_window


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


def _limiter(rate: float, clock: FakeClock, slots: LocalClock | None = None) -> SendRateLimiter:
    return SendRateLimiter(rate, slots=slots, clock=clock, sleep=clock.sleep)


@pytest.mark.parametrize("rate", [1.0, 14.0, 14.5, 100.0, 200.0, 1000.0])
@pytest.mark.parametrize("jitter", [0.0, 0.003])
def test_never_over_the_rate_in_any_second_and_close_to_it(rate: float, jitter: float) -> None:
    clock = FakeClock(jitter)
    limiter = _limiter(rate, clock)
    grants = []
    n = int(rate * 20) + 5
    for _ in range(n):
        assert limiter.acquire()
        grants.append(clock())
    assert max_in_window(grants) <= rate
    # The pace is rate / (1 + margin): 0.98 of it (whole messages: 14.5/s is 14 a second).
    achieved = (n - 1) / (grants[-1] - grants[0])
    assert achieved >= int(rate) / (1 + MARGIN) * 0.999


def test_threads_share_one_schedule() -> None:
    clock = FakeClock()
    limiter = _limiter(50, clock)
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
    assert (len(grants) - 1) / (max(grants) - min(grants)) >= 50 / (1 + MARGIN) * 0.999


def test_workers_on_one_clock_never_exceed_the_rate_together() -> None:
    # Four workers take turns at random (one much slower than the others): whatever the
    # interleaving, the grants of all of them together keep the run's schedule. (How much
    # of the rate they reach together is measured in bench/send_bench.py, with real time.)
    clock, shared, rng = FakeClock(0.002), LocalClock(), random.Random(5)
    limiters = [_limiter(200, clock, shared) for _ in range(4)]
    weights = [1.0, 1.0, 1.0, 0.05]
    grants: list[float] = []
    per_worker = [0] * 4
    for _ in range(6000):
        i = rng.choices(range(4), weights)[0]
        assert limiters[i].acquire()
        grants.append(clock())
        per_worker[i] += 1
    assert max_in_window(grants) <= 200
    assert min(b - a for a, b in itertools.pairwise(grants)) >= 0
    assert per_worker[3] < per_worker[0] / 5


def test_a_lone_worker_takes_the_whole_rate() -> None:
    # Two workers share the run, but one is idle: the other gets the run's full pace, not
    # half of it (nothing is set aside per worker).
    clock, shared = FakeClock(), LocalClock()
    busy, _idle = _limiter(100, clock, shared), _limiter(100, clock, shared)
    grants = []
    for _ in range(1000):
        busy.acquire()
        grants.append(clock())
    assert (len(grants) - 1) / (grants[-1] - grants[0]) >= 100 / (1 + MARGIN) * 0.999


def test_a_worker_running_out_of_work_holds_no_slots_it_cannot_use() -> None:
    # At 100/s a block is 10 slots. A worker with 3 messages left takes 3 slots, not a
    # block: the other worker sends in the very next slot after them, with no gap of
    # slots taken ahead and never used.
    clock, shared = FakeClock(), LocalClock()
    ending, other = _limiter(100, clock, shared), _limiter(100, clock, shared)
    grants = []
    for left in (3, 2, 1):
        assert ending.acquire(backlog=lambda: left)  # noqa: B023
        grants.append(clock())
    for _ in range(5):
        assert other.acquire(backlog=lambda: 50)
        grants.append(clock())
    gaps = [b - a for a, b in itertools.pairwise(grants)]
    interval = (1 + MARGIN) / 100
    assert max(gaps) == pytest.approx(interval)
    assert ending.counts() == (3, 0)
    # Unknown backlog (None): whole blocks, as before; a backlog never starves the caller.
    assert other.acquire(backlog=lambda: 0)


class CountingClock(LocalClock):
    """A run clock that counts the slots taken from it."""

    def __init__(self) -> None:
        super().__init__()
        self.taken = 0

    def take(self, count: int, *, interval: float, now: float) -> float:
        self.taken += count
        return super().take(count, interval=interval, now=now)


def test_threads_queued_for_slots_take_no_more_than_is_left_when_they_take() -> None:
    # Eight threads of one worker share its limiter; each asks for a slot with what is left
    # to send. A count read before waiting for the limiter is stale once the threads ahead
    # have had their slots: slots taken for it would pass unused at the end of the work
    # (a gap in the run's pace while the other workers go on). Read when slots are taken,
    # every slot taken is used.
    clock, shared = FakeClock(), CountingClock()
    limiter = _limiter(1000, clock, shared)
    # Jobs not yet handed to a thread, and jobs a thread holds that have no slot yet.
    state = {"todo": 500, "waiting": 0}
    lock = threading.Lock()

    def backlog() -> int:
        return state["todo"] + state["waiting"]

    def thread() -> None:
        while True:
            with lock:
                if not state["todo"]:
                    return
                state["todo"] -= 1
                state["waiting"] += 1
            assert limiter.acquire(backlog=backlog)
            with lock:
                state["waiting"] -= 1

    threads = [threading.Thread(target=thread) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted, given_up = limiter.counts()
    assert granted + given_up == shared.taken
    assert given_up == 0


class GatedClock(LocalClock):
    """A run clock whose second take waits until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.takes = 0
        self.inside, self.go = threading.Event(), threading.Event()

    def take(self, count: int, *, interval: float, now: float) -> float:
        self.takes += 1
        if self.takes == 2:
            self.inside.set()
            self.go.wait(10)
        return super().take(count, interval=interval, now=now)


def test_slots_already_held_are_granted_while_more_are_taken() -> None:
    # At 100/s a block is 10 slots; the next block is taken when 5 are left. Taking it is a
    # database statement (tens of ms on a busy server): meanwhile the 5 slots held must
    # still go to the threads that wait for them, or each would pass and be given up.
    clock, gated = FakeClock(), GatedClock()
    limiter = _limiter(100, clock, gated)
    for _ in range(5):
        assert limiter.acquire()
    taker = threading.Thread(target=limiter.acquire)
    taker.start()
    assert gated.inside.wait(10)
    granted: list[bool] = []
    other = threading.Thread(target=lambda: granted.append(limiter.acquire()))
    other.start()
    other.join(10)  # with the lock held through the take, this waits for the whole 10 s
    gated.go.set()
    taker.join(10)
    assert granted == [True]
    assert limiter.counts() == (7, 0)


class SlowClock(LocalClock):
    """A run clock on a slow database: each take costs ``cost`` seconds of the fake clock."""

    def __init__(self, clock: FakeClock, cost: float) -> None:
        super().__init__()
        self.clock, self.cost, self.takes = clock, cost, 0

    def take(self, count: int, *, interval: float, now: float) -> float:
        self.takes += 1
        assert self.takes < 100, "the limiter keeps taking slots it then gives up"
        start = super().take(count, interval=interval, now=now)
        self.clock.now += self.cost
        return start


def test_a_take_slower_than_a_late_slot_still_grants() -> None:
    # At 1,000/s with one message waiting, each take is one slot; a statement that takes
    # 10 ms (twice LATE) must not return slots that are already late, over and over.
    clock = FakeClock()
    slow = SlowClock(clock, cost=2 * LATE)
    limiter = _limiter(1000, clock, slow)
    for _ in range(5):
        assert limiter.acquire(backlog=lambda: 1)
    assert limiter.counts()[0] == 5
    assert slow.takes < 20


def test_margin_keeps_room_for_request_delays() -> None:
    # Requests reach the provider a little after their grant; a delay difference of up to
    # margin - late never puts more than `rate` into one of its seconds.
    clock = FakeClock(LATE * 0.9)
    limiter = _limiter(20, clock)
    rng = random.Random(7)
    arrivals = []
    for _ in range(400):
        limiter.acquire()
        arrivals.append(clock() + rng.uniform(0, MARGIN - LATE - 0.001))
    assert max_in_window(arrivals) <= 20


def test_a_late_slot_is_given_up_not_crowded_into_the_next() -> None:
    clock = FakeClock()
    limiter = _limiter(100, clock)  # blocks of 10 slots
    limiter.acquire()
    first = clock()
    clock.now += 0.5  # the thread was held up: the block's other nine slots went by
    limiter.acquire()
    assert clock() >= first + 0.5
    assert limiter.counts() == (2, 9)


def test_an_idle_spell_builds_no_burst() -> None:
    clock = FakeClock()
    limiter = _limiter(10, clock)
    limiter.acquire()
    clock.now += 60  # idle for a minute
    first = clock()
    for _ in range(3):
        limiter.acquire()
    assert clock() - first >= 2 * (1 + MARGIN) / 10 - 1e-9


def test_units_count_recipients() -> None:
    clock = FakeClock()
    limiter = _limiter(10, clock)
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
    with pytest.raises(ValueError, match="positive"):
        SendRateLimiter(0)
    with pytest.raises(ValueError, match="late < margin"):
        SendRateLimiter(10, margin=0.01, late=0.02)


def _running_send(world: World) -> runs.RunFacts:
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        mailing_list = session.get(MailingList, world.list_id)
        assert issue is not None
        assert mailing_list is not None
        return runs.acquire(
            session,
            issue=issue,
            mailing_list=mailing_list,
            owner=runs.make_owner(),
            rate=200.0,
            quota_left=None,
            mode="send",
            uncertain_policy="resend",
            decision=None,
        )


def test_the_run_clock_hands_out_blocks_that_never_overlap(world: World) -> None:
    # Four workers' threads take blocks from the run's record at once, on both databases:
    # every slot is someone's, no slot is two workers'.
    run = _running_send(world)
    clock = runs.RunSlots(world.engine, run_id=run.run_id)
    interval, count = 0.005, 20
    starts: list[float] = []
    lock = threading.Lock()
    now = 1_000_000.0

    def worker() -> None:
        for _ in range(25):
            start = clock.take(count, interval=interval, now=now)
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 100
    span = count * interval
    # Back to back: each block begins where the one before it ends.
    assert starts[0] == pytest.approx(now)
    for a, b in itertools.pairwise(starts):
        assert b - a == pytest.approx(span)
    # A block asked for later than the clock starts then, not in the past.
    later = clock.take(1, interval=interval, now=now + 1000)
    assert later == pytest.approx(now + 1000)

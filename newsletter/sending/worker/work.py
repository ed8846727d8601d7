"""One worker of a run: takes slices, sends their queued rows, at its share of the rate.

A worker is a process (a local one started by `send issue --workers N`, one that joined with
`send work` from another machine, or an SQS-fed Lambda invocation). Inside it, the send
threads (:mod:`.pool`, each waiting for its slot of the run's rate, :mod:`.rate`), one
ledger writer (:mod:`.writer`) and one heartbeat (:mod:`.heartbeat`) work as one: jobs of a
slice go to the threads, which claim each row (committed ``sending``) before handing it to
the transport. A slice is done when all its rows have their verdicts committed; a worker
that stops part-way gives its slices back.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from newsletter.audience import get_list
from newsletter.collector import set_aside
from newsletter.db import transaction
from newsletter.editions import issue_settings
from newsletter.errors import StateError
from newsletter.feedback.tracking import configuration_set_for, is_tracked, tag_links
from newsletter.models import Issue, SliceState
from newsletter.models.base import utcnow
from newsletter.render.issue import stored_rendering
from newsletter.sending import ledger, runs
from newsletter.sending.breaker import Breaker, BreakerLimits
from newsletter.sending.options import Tuning
from newsletter.sending.personal import IssueMailer
from newsletter.sending.runs import RunFacts, Slice, Taken, make_owner
from newsletter.sending.worker.budget import Budget
from newsletter.sending.worker.heartbeat import Heartbeat
from newsletter.sending.worker.pool import WorkerPool
from newsletter.sending.worker.rate import SendRateLimiter
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.sending.worker.tally import Tally
from newsletter.sending.worker.writer import LedgerWriter
from newsletter.settings import Settings
from newsletter.transport import Transport

log = logging.getLogger(__name__)

#: The interpreter's thread switch interval while a rate-limited send runs (see work()).
SWITCH_INTERVAL = 0.001
#: How long a worker with nothing to take waits before it looks again (for dead workers).
IDLE_POLL = 0.5


@dataclass
class WorkResult:
    """What one worker did."""

    worker_id: int
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    retries: int = 0
    slices_done: int = 0
    uncertain: int = 0
    uncertain_subscriber_ids: list[int] = field(default_factory=list)
    stop_kind: str = ""
    stop_reason: str = ""
    lost_results: int = 0
    achieved_rate: float = 0.0
    elapsed: float = 0.0
    #: For an SQS slice: the slice was finished before (nothing sent), or a live worker has it.
    slice_answer: str = ""


def work(
    engine: Engine,
    settings: Settings,
    transport: Transport,
    *,
    run: RunFacts,
    concurrency: int,
    tuning: Tuning,
    stop: StopSignal,
    tally: Tally | None = None,
    slice_id: int | None = None,
    wait_for_others: bool = False,
    quota_reason: Callable[[], str] | None = None,
) -> WorkResult:
    """Work the run until no slice is left to take (or only ``slice_id``).

    ``wait_for_others``: keep looking while other live workers hold slices, to take over the
    slice of one that dies (the process that finishes the run does this).
    """
    started = time.monotonic()
    owner = make_owner()
    worker_id = runs.register_worker(engine, run_id=run.run_id, owner=owner)
    result = WorkResult(worker_id=worker_id)
    with transaction(engine) as session:
        issue = session.get(Issue, run.issue_id)
        assert issue is not None
        # Whichever process works the run (a local worker, `send work`, an SQS Lambda), the
        # messages say what the issue's edition says (From, Reply-To, list, language).
        settings = issue_settings(settings, issue)
        rendered = stored_rendering(issue)
        if rendered is None:
            raise StateError(f"the issue of {run.issue_date} has no stored rendering")
        get_list(session, run.list_name)
        # Feedback: a tracked list's copy has its links tagged so that clicks count per link,
        # and goes through the tracking configuration set: as the planner decided, whatever
        # this process's own settings say.
        decision = run.decision
        if decision is None:  # a run planned before decisions were stored
            tracked = is_tracked(session, list_id=run.list_id)
            configuration_set = configuration_set_for(settings, tracked=tracked)
        else:
            tracked, configuration_set = decision.tracked, decision.configuration_set
        declined = None
        if tracked:
            plain_set = (
                decision.untracked_configuration_set
                if decision is not None
                else configuration_set_for(settings, tracked=False)
            )
            declined = (rendered, plain_set)
            rendered = dataclasses.replace(rendered, html=tag_links(rendered.html))
        breaker = Breaker(
            engine,
            run_id=run.run_id,
            issue_id=run.issue_id,
            since=run.started_at or utcnow(),
            limits=BreakerLimits.read(decision.breaker if decision else None, settings),
            describe={"date": run.issue_date, "edition": issue.edition.slug},
            stop=stop,
            every=tuning.breaker_every,
        )
    mailer = IssueMailer(
        settings,
        configuration_set=configuration_set,
        declined=declined,
        rendered=rendered,
        issue_id=run.issue_id,
        issue_date=run.issue_date,
        list_id=run.list_id,
        list_name=run.list_name,
    )
    tally = tally or Tally()
    slots = runs.RunSlots(engine, run_id=run.run_id)
    limiter = SendRateLimiter(run.rate, slots=slots, margin=tuning.rate_margin, sleep=stop.wait)
    heartbeat = Heartbeat(
        engine,
        run=run,
        worker_id=worker_id,
        limiter=limiter,
        tally=tally,
        stop=stop,
        every=tuning.heartbeat_every,
        stale_after=tuning.stale_after,
    )
    writer = LedgerWriter(engine, stop=stop)
    budget = (
        Budget(None)
        if run.quota_left is None
        else Budget(0, draw=lambda n: runs.draw_quota(engine, run_id=run.run_id, count=n))
    )
    pool = WorkerPool(
        tuning=dataclasses.replace(
            tuning, max_attempts=tuning.max_attempts or settings.send_max_attempts
        ),
        concurrency=concurrency,
        quota_reason=quota_reason or (lambda: "the 24-hour sending quota is used up"),
        transport=transport,
        build=mailer.message,
        writer=writer,
        limiter=limiter,
        budget=budget,
        stop=stop,
        tally=tally,
    )
    heartbeat.start()
    writer.start()
    pool.start()
    switch = sys.getswitchinterval()
    if run.rate is not None:
        # A send thread woken for its slot must reach the network within a few ms, or the
        # slot is given up: hand the interpreter over every 1 ms rather than every 5.
        sys.setswitchinterval(min(switch, SWITCH_INTERVAL))
    try:
        # The heap the set-up built is frozen out of full collections while this sends (see
        # newsletter.collector): one such collection would stall every send thread at once.
        with breaker, set_aside():
            _slices_loop(
                engine,
                run=run,
                worker_id=worker_id,
                tuning=tuning,
                stop=stop,
                pool=pool,
                writer=writer,
                result=result,
                slice_id=slice_id,
                wait_for_others=wait_for_others,
            )
            pool.finish()
    except KeyboardInterrupt:
        stop.stop(StopKind.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)")
        pool.abort()
    except SQLAlchemyError as exc:
        stop.stop(StopKind.ERROR, f"database error: {exc}")
        pool.abort()
    except BaseException as exc:
        stop.stop(StopKind.ERROR, f"unexpected error: {exc!r}")
        pool.abort()
        raise
    finally:
        sys.setswitchinterval(switch)
        writer.close()
        heartbeat.close(reason=stop.reason)
        try:
            runs.give_back_quota(engine, run_id=run.run_id, count=budget.unused())
        except SQLAlchemyError as exc:
            log.error("cannot give the unused quota back to the run: %s", exc)
    snap = tally.snapshot()
    result.sent, result.failed, result.deferred = snap.sent, snap.failed, snap.deferred
    result.skipped, result.retries = snap.skipped, snap.retries
    result.stop_kind = stop.kind.value if stop.kind else ""
    result.stop_reason = stop.reason
    result.lost_results = writer.lost_results
    result.achieved_rate = tally.achieved_rate()
    result.elapsed = time.monotonic() - started
    return result


def _slices_loop(
    engine: Engine,
    *,
    run: RunFacts,
    worker_id: int,
    tuning: Tuning,
    stop: StopSignal,
    pool: WorkerPool,
    writer: LedgerWriter,
    result: WorkResult,
    slice_id: int | None,
    wait_for_others: bool,
) -> None:
    """Take slices and send them until none is left (or only ``slice_id``).

    Slices overlap: once a slice's jobs are all queued, the next slice is taken and its jobs
    follow while the last messages of the one before are still being sent, so the threads
    (and the rate slots this worker holds) never wait for a slice to be handed over. A slice
    is released when every one of its jobs is done and their verdicts are committed.
    """
    open_parts: list[Slice] = []

    def release(*, wait: bool) -> None:
        # The open slices whose jobs are all done (every one of them: ``wait``).
        for part in list(open_parts):
            if wait:
                pool.wait_group(part.id)
            elif pool.group_left(part.id):
                continue
            writer.sync()
            # Stopped part-way: the slice is open again (its unsent rows are still queued).
            done = not stop.is_set
            runs.release_slice(engine, slice_id=part.id, worker_id=worker_id, done=done)
            if done:
                result.slices_done += 1
            open_parts.remove(part)

    while not stop.is_set:
        dead = runs.dead_workers(engine, run_id=run.run_id, stale_after=tuning.stale_after)
        if slice_id is not None:
            taken = runs.take_slice(
                engine, run_id=run.run_id, slice_id=slice_id, worker_id=worker_id, dead=dead
            )
            result.slice_answer = taken.taken.value
        else:
            found = runs.take_next(engine, run_id=run.run_id, worker_id=worker_id, dead=dead)
            if found is None:
                # Our own slices first: the others' are what may still be worth waiting for.
                release(wait=True)
                counts = runs.slice_counts(engine, run_id=run.run_id)
                if wait_for_others and counts[SliceState.TAKEN] and not stop.wait(IDLE_POLL):
                    continue
                return
            taken = found
        if taken.taken is not Taken.YES or taken.slice is None:
            break
        result.uncertain += taken.uncertain
        room = ledger.UNCERTAIN_LIST_MAX - len(result.uncertain_subscriber_ids)
        result.uncertain_subscriber_ids += list(taken.uncertain_ids[: max(0, room)])
        queued = _queue_slice(
            engine,
            run=run,
            part=taken.slice,
            tuning=tuning,
            pool=pool,
            meanwhile=lambda: release(wait=False),
        )
        open_parts.append(taken.slice)
        if not queued or slice_id is not None:
            break
    release(wait=True)


#: Jobs queued between two looks at whether an earlier slice is done.
_RELEASE_EVERY = 32


def _queue_slice(
    engine: Engine,
    *,
    run: RunFacts,
    part: Slice,
    tuning: Tuning,
    pool: WorkerPool,
    meanwhile: Callable[[], None],
) -> bool:
    """Queue the jobs of ``part`` (grouped by its id), calling ``meanwhile`` now and then;
    False if the send stopped before all were queued."""
    batches = ledger.queued_jobs(
        engine,
        issue_id=run.issue_id,
        list_id=run.list_id,
        first=part.first,
        last=part.last,
        batch_size=tuning.batch_size,
    )
    queued = 0
    for jobs in batches:
        for job in jobs:
            if not pool.submit(job, group=part.id):
                return False
            queued += 1
            if queued % _RELEASE_EVERY == 0:
                meanwhile()
    return True

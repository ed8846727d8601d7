"""Local worker processes: `send issue --workers N` starts N-1 more workers beside itself.

The core starts them itself (``multiprocessing`` with a fresh interpreter each: the parent
has threads, so no fork), hands each the parent's :class:`Settings` object and tuning, and
each joins the run by its id and works it like any other worker (it reads the run's
decisions, takes slices and its slots of the run's rate clock). SIGTERM or Ctrl-C stop a child
cleanly (it gives its slice back); its exit code says how it ended and, when it stopped, its
last words reach the parent through a queue.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.queues import SimpleQueue
from typing import Any

from newsletter.sending.options import Tuning
from newsletter.settings import Settings

#: Exit codes of a child: stopped (an account error, the quota, a lost lock), interrupted.
EXIT_STOPPED = 2
EXIT_INTERRUPTED = 130


def _child(
    settings: Settings,
    run_id: int,
    concurrency: int,
    tuning: Tuning,
    words: SimpleQueue[tuple[int, str]],
) -> None:
    """One worker process: join run ``run_id`` and work it until no slice is left."""
    from newsletter import db
    from newsletter.sending.runs import running_run
    from newsletter.sending.worker.stop import StopKind, StopSignal
    from newsletter.sending.worker.work import work
    from newsletter.transport import make_transport

    stop = StopSignal()

    def interrupted(signum: int, frame: Any) -> None:
        stop.stop(StopKind.INTERRUPTED, f"terminated ({signal.Signals(signum).name})")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    engine = db.make_engine(settings.database_url)
    try:
        with make_transport(settings, concurrency=concurrency) as transport:
            result = work(
                engine,
                settings,
                transport,
                run=running_run(engine, run_id=run_id),
                concurrency=concurrency,
                tuning=tuning,
                stop=stop,
            )
    except BaseException as exc:
        words.put((os.getpid(), f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        engine.dispose()
    if result.stop_reason:
        words.put((os.getpid(), result.stop_reason))
        raise SystemExit(
            EXIT_INTERRUPTED if result.stop_kind == StopKind.INTERRUPTED.value else EXIT_STOPPED
        )


@dataclass
class LocalWorkers:
    """The started processes; :meth:`wait` collects them."""

    procs: list[BaseProcess]
    words: SimpleQueue[tuple[int, str]]
    said: dict[int, str] = field(default_factory=dict)

    def exited(self) -> list[int]:
        """Exit codes of those that ended so far (negative: killed by that signal)."""
        return [p.exitcode for p in self.procs if p.exitcode is not None]

    def last_error(self) -> str:
        """The last words of the first worker that ended with an error ("" if none)."""
        while not self.words.empty():
            pid, text = self.words.get()
            self.said[pid] = text
        for p in self.procs:
            if p.exitcode and p.pid in self.said:
                return self.said[p.pid]
        return ""

    def terminate(self) -> None:
        """Ask every running one to stop cleanly (SIGTERM: it gives its slice back)."""
        for p in self.procs:
            if p.is_alive():
                p.terminate()

    def wait(self) -> None:
        """Wait for all to end."""
        for p in self.procs:
            p.join()

    def close(self) -> None:
        """Release the queue (the processes have ended)."""
        self.words.close()


def start_workers(
    settings: Settings, *, run_id: int, count: int, concurrency: int, tuning: Tuning
) -> LocalWorkers:
    """Start ``count`` worker processes on the run ``run_id``."""
    context = multiprocessing.get_context("spawn")
    words: SimpleQueue[tuple[int, str]] = context.SimpleQueue()
    procs: list[BaseProcess] = []
    for _ in range(count):
        proc = context.Process(
            target=_child,
            args=(settings, run_id, concurrency, tuning, words),
            name=f"newsletter-worker-{run_id}",
        )
        proc.start()
        procs.append(proc)
    return LocalWorkers(procs, words)

"""`send status`: the ledger of one issue by state, the uncertain rows, its send runs, the
workers of the latest run (heartbeats, the pace each drew, counts), its slices, the
dead-letter queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from newsletter.compose import get_issue
from newsletter.db import transaction
from newsletter.editions import get_edition
from newsletter.freshness import stale_reason
from newsletter.models import DeliveryState, SendRunStatus
from newsletter.models.base import utcnow
from newsletter.sending import ledger, runs
from newsletter.settings import Settings

RUNS_SHOWN = 10


@dataclass(frozen=True)
class RunInfo:
    """One send run of the issue."""

    id: int
    list_name: str
    status: str
    owner: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    finished_at: dt.datetime | None
    stop_reason: str


@dataclass(frozen=True)
class WorkerInfo:
    """One worker of the latest run."""

    id: int
    run_id: int
    owner: str
    #: ``working``, ``ended`` or ``dead`` (heartbeat stale or process gone).
    state: str
    heartbeat_age: float
    share: float | None
    sent: int
    failed: int
    deferred: int
    skipped: int
    stop_reason: str


@dataclass
class SendStatus:
    """The state of an issue's delivery."""

    date: str
    issue_status: str
    counts: dict[str, int]
    total: int
    #: Rows left ``sending`` with no live run: a crashed run may or may not have sent them.
    uncertain_open: int
    #: Rows whose uncertain state was settled (re-sent, or left by ``--uncertain skip``).
    uncertain_settled: int
    running: RunInfo | None
    runs: list[RunInfo] = field(default_factory=list)
    #: The workers of the latest run.
    workers: list[WorkerInfo] = field(default_factory=list)
    #: The latest run's slices by state.
    slices: dict[str, int] = field(default_factory=dict)
    #: Messages in the dead-letter queue of the SQS fan-out (None: none configured).
    dead_letters: int | None = None
    #: The issue's edition (slug).
    edition: str = ""
    #: Why the stored rendering is stale ("" when it is current, absent, or the issue is out).
    stale: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""

        def run(r: RunInfo) -> dict[str, Any]:
            return {
                "id": r.id,
                "list": r.list_name,
                "status": r.status,
                "owner": r.owner,
                "started_at": r.started_at.isoformat(),
                "heartbeat_at": r.heartbeat_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "stop_reason": r.stop_reason,
            }

        return {
            "edition": self.edition,
            "stale": self.stale,
            "date": self.date,
            "issue_status": self.issue_status,
            "counts": self.counts,
            "total": self.total,
            "uncertain_open": self.uncertain_open,
            "uncertain_settled": self.uncertain_settled,
            "running": run(self.running) if self.running else None,
            "runs": [run(r) for r in self.runs],
            "workers": [asdict(w) for w in self.workers],
            "slices": self.slices,
            "dead_letters": self.dead_letters,
        }


def _workers(engine: Engine, run_id: int) -> list[WorkerInfo]:
    now = utcnow()
    with transaction(engine) as session:
        rows = runs.worker_rows(session, run_id=run_id)
        out = []
        for w in rows:
            dead = runs.worker_is_dead(w, now=now, stale_after=runs.STALE_AFTER)
            out.append(
                WorkerInfo(
                    id=w.id,
                    run_id=w.run_id,
                    owner=w.owner,
                    state="ended" if not w.live else ("dead" if dead else "working"),
                    heartbeat_age=(now - w.heartbeat_at).total_seconds(),
                    share=w.share,
                    sent=w.sent,
                    failed=w.failed,
                    deferred=w.deferred,
                    skipped=w.skipped,
                    stop_reason=w.stop_reason,
                )
            )
        return out


def send_status(
    engine: Engine,
    *,
    date: dt.date,
    dead_letters: Callable[[], int] | None = None,
    edition: str | None = None,
    settings: Settings | None = None,
) -> SendStatus:
    """Counts by state, uncertain rows, the latest runs and workers of the issue of ``date``
    (of ``edition``, default: the default one).

    ``dead_letters`` counts the SQS dead-letter queue (given when one is configured).
    """
    with transaction(engine) as session:
        issue = get_issue(session, date, edition=get_edition(session, edition))
        edition_slug = issue.edition.slug
        stale = stale_reason(issue, settings) if settings is not None else None
        rows = runs.recent_runs(session, issue_id=issue.id, limit=RUNS_SHOWN)
        recent = [
            RunInfo(
                id=r.id,
                list_name=name,
                status=r.status.value,
                owner=r.owner,
                started_at=r.started_at,
                heartbeat_at=r.heartbeat_at,
                finished_at=r.finished_at,
                stop_reason=r.stop_reason,
            )
            for r, name in rows
        ]
        issue_id, issue_status = issue.id, issue.status.value
    counts = ledger.state_counts(engine, issue_id=issue_id)
    running = next((r for r in recent if r.status == SendRunStatus.RUNNING.value), None)
    sending = counts[DeliveryState.SENDING]
    latest = running or (recent[0] if recent else None)
    return SendStatus(
        workers=_workers(engine, latest.id) if latest else [],
        slices=(
            {k.value: v for k, v in runs.slice_counts(engine, run_id=latest.id).items()}
            if latest
            else {}
        ),
        dead_letters=dead_letters() if dead_letters is not None else None,
        date=date.isoformat(),
        edition=edition_slug,
        stale=stale or "",
        issue_status=issue_status,
        counts={s.value: n for s, n in counts.items()},
        total=sum(counts.values()),
        uncertain_open=0 if running else sending,
        uncertain_settled=ledger.uncertain_count(engine, issue_id=issue_id),
        running=running,
        runs=recent,
    )

"""`send status`: the ledger of one issue by state, the uncertain rows, and its send runs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select

from newsletter.compose import get_issue
from newsletter.db import transaction
from newsletter.models import DeliveryState, MailingList, SendRun, SendRunStatus
from newsletter.sending import ledger

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
            "date": self.date,
            "issue_status": self.issue_status,
            "counts": self.counts,
            "total": self.total,
            "uncertain_open": self.uncertain_open,
            "uncertain_settled": self.uncertain_settled,
            "running": run(self.running) if self.running else None,
            "runs": [run(r) for r in self.runs],
        }


def send_status(engine: Engine, *, date: dt.date) -> SendStatus:
    """Counts by state, uncertain rows and the latest runs of the issue of ``date``."""
    with transaction(engine) as session:
        issue = get_issue(session, date)
        rows = session.execute(
            select(SendRun, MailingList.name)
            .join(MailingList, MailingList.id == SendRun.list_id)
            .where(SendRun.issue_id == issue.id)
            .order_by(SendRun.id.desc())
            .limit(RUNS_SHOWN)
        ).all()
        runs = [
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
    running = next((r for r in runs if r.status == SendRunStatus.RUNNING.value), None)
    sending = counts[DeliveryState.SENDING]
    return SendStatus(
        date=date.isoformat(),
        issue_status=issue_status,
        counts={s.value: n for s, n in counts.items()},
        total=sum(counts.values()),
        uncertain_open=0 if running else sending,
        uncertain_settled=ledger.uncertain_count(engine, issue_id=issue_id),
        running=running,
        runs=runs,
    )

"""What a send reports: the rate plan and the report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from newsletter.models import SendRunStatus
from newsletter.sending.options import UncertainPolicy
from newsletter.sending.worker.tally import Snapshot
from newsletter.transport import SendQuota


@dataclass(frozen=True)
class RatePlan:
    """The pace of a send and where its numbers come from."""

    requested: float | None
    provider_max: float | None
    effective: float | None
    remaining_24h: float | None
    quota_source: str
    quota_note: str

    @classmethod
    def make(cls, quota: SendQuota | None, *, requested: float | None) -> RatePlan:
        """Combine the requested rate with the provider's quota (ignored unless real)."""
        if quota is None:
            return cls(requested, None, requested, None, "", "the transport reports no quota")
        if not quota.real:
            note = (
                f"placeholder quota of a local endpoint ignored ({quota.max_send_rate:g}/s, "
                f"{quota.max_24_hour_send:g} a day)"
            )
            return cls(requested, None, requested, None, quota.source, note)
        provider = quota.max_send_rate if quota.max_send_rate > 0 else None
        rates = [r for r in (requested, provider) if r is not None]
        effective = min(rates) if rates else None
        remaining = quota.remaining_24h
        note = (
            f"{quota.sent_last_24_hours:g} of {quota.max_24_hour_send:g} sent in the last 24 h"
            if quota.max_24_hour_send >= 0
            else "no 24-hour limit"
        )
        return cls(requested, provider, effective, remaining, quota.source, note)


@dataclass
class SendReport:
    """What a run did; :meth:`as_dict` is the ``--json`` output."""

    date: str
    list_name: str
    mode: str
    status: str
    rate: RatePlan
    concurrency: int
    transport: str
    #: Worker processes of the run (this one's report counts all of them).
    workers: int = 1
    #: Why fewer workers run than were asked for ("" if none).
    workers_note: str = ""
    #: Why the stored rendering was made again before the send ("" if it was current).
    rerendered: str = ""
    #: Slices the run's rows were cut into.
    slices: int = 0
    to_send: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    skipped: int = 0
    retries: int = 0
    requeued: int = 0
    uncertain: int = 0
    #: Uncertain rows that SES's events settled as sent while the run waited for them.
    reconciled: int = 0
    uncertain_policy: str = UncertainPolicy.RESEND.value
    uncertain_subscriber_ids: list[int] = field(default_factory=list)
    stop_kind: str = ""
    stop_reason: str = ""
    resume_after: dt.datetime | None = None
    run_id: int | None = None
    took_over: str = ""
    elapsed: float = 0.0
    achieved_rate: float = 0.0
    lost_results: int = 0
    issue_status: str = ""
    ledger: dict[str, int] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        """True when the run ended before its end (see ``stop_reason``)."""
        return self.status == SendRunStatus.STOPPED.value

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        data = asdict(self)
        data["resume_after"] = self.resume_after.isoformat() if self.resume_after else None
        return data


ProgressCallback = Callable[[Snapshot], None]

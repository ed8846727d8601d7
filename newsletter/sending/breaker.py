"""The breaker: a send pauses itself when its own bounces and complaints climb.

The guard judges a list before a send, on its last 30 days; a long send to a bad list can
still cross SES's review rates while it runs. So every worker of a run looks, every few
seconds, at the messages of this run sent in the last ``window_seconds`` and at the hard
bounces and complaints SES has reported for them so far. When either rate reaches its limit
(defaults below SES's review rates) on at least ``min_sent`` messages, the worker pauses the
run: the run is stopped with the figure, the limit, and how to go on or give up, and every
other worker (local, `send work`, SQS) sees a run that is no longer running and stops too.
A new run (``send issue --force``) counts afresh from its own start.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, distinct, func, select

from newsletter.feedback.rates import event_of_delivery
from newsletter.models import (
    Delivery,
    DeliveryEvent,
    DeliveryEventType,
    DeliveryState,
)
from newsletter.models.base import utcnow
from newsletter.sending import runs
from newsletter.sending.worker.stop import StopKind, StopSignal
from newsletter.settings import Settings

#: What a paused run's reason starts with (``send status`` and the reports show it).
PAUSED = "paused by the breaker"


@dataclass(frozen=True)
class BreakerLimits:
    """When a running send pauses itself."""

    window_seconds: float = 1800.0
    complaint_rate: float = 0.0008
    bounce_rate: float = 0.04
    min_sent: int = 200

    @classmethod
    def of(cls, settings: Settings) -> BreakerLimits:
        """The limits the settings set."""
        return cls(
            window_seconds=settings.breaker_window_seconds,
            complaint_rate=settings.breaker_complaint_rate,
            bounce_rate=settings.breaker_bounce_rate,
            min_sent=settings.breaker_min_sent,
        )

    @classmethod
    def read(cls, data: dict[str, Any] | None, settings: Settings) -> BreakerLimits:
        """The limits a run recorded (those of the settings for a run that recorded none)."""
        if not data:
            return cls.of(settings)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)


def _percent(rate: float) -> str:
    return f"{rate * 100:.2f}%"


@dataclass(frozen=True)
class Figures:
    """A run's messages sent in the window, and their hard bounces and complaints so far."""

    sent: int
    hard_bounced: int
    complained: int


def figures(engine: Engine, *, issue_id: int, since: dt.datetime) -> Figures:
    """The figures of the issue's messages sent since ``since``."""
    sent_here = (
        Delivery.issue_id == issue_id,
        Delivery.state == DeliveryState.SENT,
        Delivery.sent_at >= since,
    )
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).where(*sent_here)).scalar() or 0
        rows = conn.execute(
            select(DeliveryEvent.type, DeliveryEvent.bounce_type, func.count(distinct(Delivery.id)))
            .join(Delivery, event_of_delivery())
            .where(
                *sent_here,
                DeliveryEvent.type.in_([DeliveryEventType.BOUNCE, DeliveryEventType.COMPLAINT]),
            )
            .group_by(DeliveryEvent.type, DeliveryEvent.bounce_type)
        ).all()
    hard = sum(
        n for kind, bounce, n in rows if kind is DeliveryEventType.BOUNCE and bounce == "Permanent"
    )
    complained = sum(n for kind, _b, n in rows if kind is DeliveryEventType.COMPLAINT)
    return Figures(int(sent), int(hard), int(complained))


def verdict(found: Figures, limits: BreakerLimits) -> str | None:
    """Why the send must pause (one line), or None."""
    if found.sent < limits.min_sent:
        return None
    problems = []
    if found.complained / found.sent >= limits.complaint_rate:
        problems.append(
            f"complaint rate {_percent(found.complained / found.sent)} ({found.complained} of "
            f"{found.sent}) reached {_percent(limits.complaint_rate)}"
        )
    if found.hard_bounced / found.sent >= limits.bounce_rate:
        problems.append(
            f"hard bounce rate {_percent(found.hard_bounced / found.sent)} "
            f"({found.hard_bounced} of {found.sent}) reached {_percent(limits.bounce_rate)}"
        )
    return "; ".join(problems) or None


def pause_reason(problem: str, *, date: str, edition: str, window_seconds: float) -> str:
    """The run's stop reason: the figures, the limit, and the way on."""
    flag = "" if edition in ("", "default") else f" --edition {edition}"
    minutes = f"{window_seconds / 60:g} min"
    return (
        f"{PAUSED}: {problem} (messages of this run sent in the last {minutes}); resume with "
        f"`newsletter send issue --date {date}{flag} --force`, or give up the rest with "
        f"`newsletter send abandon --date {date}{flag}`"
    )


class Breaker:
    """A thread of one worker: looks every ``every`` seconds and pauses the run when the
    limits are reached (then stops this worker's signal too)."""

    def __init__(
        self,
        engine: Engine,
        *,
        run_id: int,
        issue_id: int,
        since: dt.datetime,
        limits: BreakerLimits,
        describe: dict[str, str],
        stop: StopSignal,
        every: float,
    ) -> None:
        self._engine, self._run_id, self._issue_id = engine, run_id, issue_id
        self._since, self._limits, self._describe = since, limits, describe
        self._stop, self._every = stop, every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="send-breaker", daemon=True)

    def check(self) -> str | None:
        """One look: the reason the run was paused, or None."""
        now = utcnow()
        since = max(self._since, now - dt.timedelta(seconds=self._limits.window_seconds))
        problem = verdict(figures(self._engine, issue_id=self._issue_id, since=since), self._limits)
        if problem is None:
            return None
        reason = pause_reason(problem, window_seconds=self._limits.window_seconds, **self._describe)
        runs.pause_run(self._engine, run_id=self._run_id, reason=reason)
        self._stop.stop(StopKind.PAUSED, reason)
        return reason

    def _loop(self) -> None:
        while not self._done.wait(self._every):
            if self._stop.is_set or self.check():
                return

    def __enter__(self) -> Breaker:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

"""What a send decides once, when it is planned, and stores with its run.

The planning process (the command, the daily job, the fan-out's planner) runs the guard,
asks whether the list is tracked and which SES configuration set its messages take, and
notes the options and the rendering; :func:`decide` makes that record and it is written to
``send_runs.decision``. Every worker of the run, wherever it runs (the planning process,
`--workers N`, `send work` on another machine, an SQS Lambda), reads it with
:func:`read_decision` and decides nothing of this itself: a tracked list goes out tracked on
every path, whatever the worker's own settings say.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from newsletter.feedback.guard import GuardVerdict
from newsletter.feedback.tracking import configuration_set_for, is_tracked
from newsletter.models import SendRun
from newsletter.models.base import utcnow
from newsletter.render.rendered import RenderedEmail
from newsletter.sending.breaker import BreakerLimits
from newsletter.settings import Settings


@dataclass(frozen=True)
class RunDecision:
    """The record of one run's decisions (JSON-safe values only)."""

    #: The list is tracked: its links are tagged and its messages take the tracking set.
    tracked: bool
    #: The SES configuration set of every message (None: the transport's own; not SES).
    configuration_set: str | None
    #: The guard found the list's rates over a threshold and the send was forced.
    forced: bool = False
    #: What the guard found ("" when nothing), and who forced it and when.
    guard_problems: str = ""
    forced_by: str = ""
    forced_at: str = ""
    #: The options the run was planned with.
    options: dict[str, Any] | None = None
    #: The rendering every worker sends (a hash of its HTML) and why it was made again.
    rendering_sha256: str = ""
    rerendered: str = ""
    #: When the run pauses itself (:class:`~newsletter.sending.breaker.BreakerLimits`).
    breaker: dict[str, Any] | None = None
    #: The configuration set of a tracked list's message to a subscriber who declined
    #: tracking (their copy is untracked too).
    untracked_configuration_set: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The stored form."""
        return asdict(self)


def decide(
    session: Session,
    settings: Settings,
    *,
    list_id: int,
    verdict: GuardVerdict | None,
    owner: str,
    options: dict[str, Any],
    rendered: RenderedEmail,
    rerendered: str = "",
) -> RunDecision:
    """The decisions of a run about to be planned, with ``settings`` seen through the
    issue's edition (``verdict`` None: no guard ran, as in a dry run). :class:`ConfigError`
    when the list is tracked and no tracking configuration set is configured (before anything
    is written)."""
    tracked = is_tracked(session, list_id=list_id)
    forced = verdict is not None and verdict.forced
    return RunDecision(
        tracked=tracked,
        configuration_set=configuration_set_for(settings, tracked=tracked),
        forced=forced,
        guard_problems="; ".join(verdict.problems) if verdict is not None else "",
        forced_by=owner if forced else "",
        forced_at=utcnow().isoformat() if forced else "",
        options=options,
        rendering_sha256=hashlib.sha256(rendered.html.encode("utf-8")).hexdigest(),
        rerendered=rerendered,
        breaker=BreakerLimits.of(settings).as_json(),
        untracked_configuration_set=configuration_set_for(settings, tracked=False),
    )


def read_decision(run: SendRun) -> RunDecision | None:
    """The run's stored decisions; None for a run planned before they were stored."""
    data = run.decision
    if not data:
        return None
    known = set(RunDecision.__dataclass_fields__)
    return RunDecision(**{k: v for k, v in data.items() if k in known})

"""What a send is asked to do: one :class:`SendOptions` for `send issue`, `send retry`,
`send work` and the daily job, and the :class:`Tuning` knobs of tests and benchmarks."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from newsletter.sending.runs import HEARTBEAT_EVERY, SLICE_ROWS, STALE_AFTER
from newsletter.sending.worker.backoff import Backoff
from newsletter.sending.worker.rate import MARGIN

#: Rows read per query inside a slice.
BATCH_SIZE = 1000


class UncertainPolicy(enum.StrEnum):
    """What to do with rows a crashed run left ``sending``."""

    RESEND = "resend"
    SKIP = "skip"


class Mode(enum.StrEnum):
    """Which command the run serves."""

    SEND = "send"
    RETRY = "retry"


@dataclass(frozen=True)
class Tuning:
    """Knobs that tests and benchmarks turn; the defaults are for production."""

    batch_size: int = BATCH_SIZE
    slice_rows: int = SLICE_ROWS
    #: Seconds between two heartbeats of a worker, and how old one makes it (or its run) dead.
    heartbeat_every: float = HEARTBEAT_EVERY
    stale_after: float = STALE_AFTER
    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int | None = None
    seed: int | None = None
    rate_margin: float = MARGIN
    #: Seconds between two looks of a worker's breaker at the run's bounces and complaints.
    breaker_every: float = 5.0


@dataclass(frozen=True)
class SendOptions:
    """One send of the issue of ``date`` (of ``edition``): what the commands and the daily
    job ask for.

    ``rate`` is messages (recipients) per second at most for the whole run, None for no
    limit of ours (the provider's MaxSendRate still applies). ``concurrency`` is the
    parallel sends of each worker (default NEWSLETTER_SEND_CONCURRENCY); ``workers`` the
    worker processes (PostgreSQL only: SQLite runs one).
    """

    date: dt.date
    list_name: str | None = None
    #: The edition's slug; None for the default edition. The list defaults to its list.
    edition: str | None = None
    rate: float | None = None
    concurrency: int | None = None
    workers: int = 1
    uncertain: UncertainPolicy = UncertainPolicy.RESEND
    dry_run: bool = False
    #: Send although the list's complaint or bounce rate is over the guard's limit.
    force: bool = False
    #: Refuse (rather than render again) when the stored rendering is stale.
    no_rerender: bool = False
    tuning: Tuning = field(default_factory=Tuning)

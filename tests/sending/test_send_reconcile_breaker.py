"""A send that never guesses about the uncertain, and guards its reputation while it runs:
through moto's SES over HTTP and signed SNS events, on both databases."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.db import transaction
from newsletter.errors import StateError
from newsletter.feedback import receive_notification
from newsletter.feedback.apply import SETTLED_BY_EVENT
from newsletter.lifecycle import start_sending
from newsletter.models import Delivery, DeliveryState, Issue, SendRun, SendRunStatus
from newsletter.render.issue import stored_rendering
from newsletter.sending import SendOptions, send_issue
from newsletter.sending.breaker import PAUSED
from newsletter.sending.ledger import Job
from newsletter.sending.options import Tuning
from newsletter.sending.personal import IssueMailer
from newsletter.settings import Settings
from newsletter.transport import make_transport
from tests.support.sending import DATE, Ses, World
from tests.support.sns import SnsSigner, ses_message, sns_notification

SES_SETTINGS = {"transport": "ses", "send_concurrency": 2}


def _apply(world: World, signer: SnsSigner, kind: str, n: int, **event: Any) -> None:
    """One SES event, signed by SNS, verified and applied as the endpoint applies it."""
    payload = signer.sign(sns_notification(ses_message(kind, **event), message_id=f"sns-{n}"))
    message = signer.verifier().verify(payload)
    receive_notification(world.engine, message, soft_limit=3)


def _crash_after_handing_over(world: World, ses: Ses, ids: list[int], handed: int) -> list[str]:
    """What a crashed run leaves: every row ``sending``, the first ``handed`` of them taken by
    SES (moto) before the process died, with the ledger knowing nothing of it. Returns
    SES's message ids of those."""
    settings = world.settings.model_copy(update={**SES_SETTINGS, "ses_endpoint_url": ses.endpoint})
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        rendered = stored_rendering(issue)
        assert rendered is not None
        start_sending(issue)
        rows = []
        for sid in ids:
            row = Delivery(
                issue_id=world.issue_id,
                subscriber_id=sid,
                list_id=world.list_id,
                state=DeliveryState.SENDING,
                attempts=1,
            )
            session.add(row)
            rows.append(row)
        session.flush()
        jobs = [Job(r.id, r.subscriber_id, world.emails[r.subscriber_id], "") for r in rows]
    mailer = IssueMailer(
        settings,
        rendered=rendered,
        issue_id=world.issue_id,
        issue_date=DATE.isoformat(),
        list_id=world.list_id,
        list_name="daily",
    )
    with make_transport(settings, concurrency=1) as transport:
        return [transport.send(mailer.message(job)) for job in jobs[:handed]]


def _while_the_rerun_waits(world: World, then: Callable[[], object]) -> None:
    """Call ``then`` once the rerun is waiting for SES's events: its run has beaten its
    heartbeat at least once since it began (the rerun counted the uncertain rows before).
    A fixed delay instead raced with how long the rerun takes to get there on a busy machine.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with transaction(world.engine) as session:
            run = session.scalar(select(SendRun).where(SendRun.issue_id == world.issue_id))
            if run is not None and run.heartbeat_at - run.started_at >= dt.timedelta(seconds=0.3):
                break
        time.sleep(0.02)
    then()


def test_a_rerun_resends_exactly_what_ses_never_saw(
    world: World, ses: Ses, sns_signer: SnsSigner
) -> None:
    ids = world.add(6)
    taken = _crash_after_handing_over(world, ses, ids, handed=3)
    with transaction(world.engine) as session:
        row_ids = {
            d.subscriber_id: d.id for d in session.scalars(select(Delivery).order_by(Delivery.id))
        }
    # SES's Send events: two arrive before the rerun, one while it waits for them.
    for n, sid in enumerate(ids[:2]):
        _apply(world, sns_signer, "Send", n, message_id=taken[n], delivery=row_ids[sid])
    late = threading.Thread(
        target=_while_the_rerun_waits,
        args=(
            world,
            lambda: _apply(
                world, sns_signer, "Send", 9, message_id=taken[2], delivery=row_ids[ids[2]]
            ),
        ),
    )
    late.start()
    settings = world.settings.model_copy(
        update={**SES_SETTINGS, "ses_endpoint_url": ses.endpoint, "reconcile_wait_seconds": 4.0}
    )
    with make_transport(settings, concurrency=2) as transport:
        report = send_issue(world.engine, settings, transport, options=SendOptions(date=DATE))
    late.join()
    assert report.reconciled == 1
    assert report.uncertain == 3  # the rows no event settled: resent
    assert report.sent == 3
    recipients = sorted(ses.recipients())
    assert recipients == sorted(world.emails[i] for i in ids)  # each exactly once
    rows = world.deliveries()
    assert {rows[i].state for i in ids} == {DeliveryState.SENT}
    for n, sid in enumerate(ids[:3]):
        assert rows[sid].message_id == taken[n]
        assert rows[sid].error == SETTLED_BY_EVENT.format(kind="send")


def test_without_event_publishing_the_uncertain_are_resent_at_once(world: World, ses: Ses) -> None:
    ids = world.add(2)
    _crash_after_handing_over(world, ses, ids, handed=1)
    settings = world.settings.model_copy(update={**SES_SETTINGS, "ses_endpoint_url": ses.endpoint})
    assert settings.reconcile_wait == 0
    started = time.monotonic()
    with make_transport(settings, concurrency=2) as transport:
        report = send_issue(world.engine, settings, transport, options=SendOptions(date=DATE))
    assert time.monotonic() - started < 30
    assert (report.uncertain, report.reconciled, report.sent) == (2, 0, 2)
    assert len(ses.recipients()) == 3  # today's behaviour: the one SES took goes twice


@pytest.mark.parametrize("workers", [1, 2])
def test_complaints_during_the_send_pause_it_and_a_forced_run_resumes(
    world: World,
    ses: Ses,
    sns_signer: SnsSigner,
    runner: CliRunner,
    cli_env: Settings,
    workers: int,
) -> None:
    if workers > 1 and world.engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    ids = world.add(300)
    settings = world.settings.model_copy(
        update={
            **SES_SETTINGS,
            "ses_endpoint_url": ses.endpoint,
            "breaker_min_sent": 40,
            "send_rate": 60.0,
        }
    )
    complained: list[int] = []

    def complain() -> None:
        # Complaints about messages already out, as SES reports them during the send.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with transaction(world.engine) as session:
                sent = session.scalars(
                    select(Delivery).where(
                        Delivery.issue_id == world.issue_id, Delivery.message_id.is_not(None)
                    )
                ).all()
                out = [(d.id, d.message_id, world.emails[d.subscriber_id]) for d in sent]
            if len(out) >= 45:
                now = dt.datetime.now(dt.UTC).isoformat()
                for n, (row, message_id, email) in enumerate(out[:2]):
                    _apply(
                        world,
                        sns_signer,
                        "Complaint",
                        100 + n,
                        message_id=message_id,
                        recipient=email,
                        at=now,
                    )
                    complained.append(row)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=complain)
    thread.start()
    options = SendOptions(date=DATE, rate=60.0, workers=workers, tuning=Tuning(breaker_every=0.2))
    with make_transport(settings, concurrency=2) as transport:
        report = send_issue(world.engine, settings, transport, options=options)
    thread.join()
    assert complained
    assert report.stop_kind == "paused", report.stop_reason
    assert report.stop_reason.startswith(PAUSED)
    assert "complaint rate" in report.stop_reason
    assert "--force" in report.stop_reason
    first = len(ses.recipients())
    assert 45 <= first < len(ids)
    with transaction(world.engine) as session:
        run = session.scalars(select(SendRun).order_by(SendRun.id.desc())).first()
        assert run is not None
        assert run.status is SendRunStatus.STOPPED
        assert run.stop_reason.startswith(PAUSED)

    # Shown by `send status`; a plain rerun refuses; --force resumes, each reader once.
    status = runner.invoke(app, ["send", "status", "--date", DATE.isoformat()])
    assert PAUSED in status.stdout
    with make_transport(settings, concurrency=2) as transport:
        with pytest.raises(StateError, match=PAUSED):
            send_issue(world.engine, settings, transport, options=SendOptions(date=DATE))
        forced = SendOptions(date=DATE, rate=None, force=True, tuning=Tuning(breaker_every=0.2))
        again = send_issue(world.engine, settings, transport, options=forced)
    assert again.stop_kind == "", again.stop_reason
    assert sorted(ses.recipients()) == sorted(world.emails[i] for i in ids)
    assert world.issue_status().value == "sent"


def test_a_paused_send_can_be_abandoned(world: World, runner: CliRunner, cli_env: Settings) -> None:
    ids = world.add(4)
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        start_sending(issue)
        for n, sid in enumerate(ids):
            session.add(
                Delivery(
                    issue_id=world.issue_id,
                    subscriber_id=sid,
                    list_id=world.list_id,
                    state=DeliveryState.SENT if n < 2 else DeliveryState.QUEUED,
                    message_id=f"m-{n}" if n < 2 else None,
                )
            )
    result = runner.invoke(
        app, ["send", "abandon", "--date", DATE.isoformat(), "--reason", "complaints", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = world.deliveries()
    assert [rows[i].state for i in ids] == [DeliveryState.SENT] * 2 + [DeliveryState.SKIPPED] * 2
    assert rows[ids[3]].error == "abandoned by the operator: complaints"
    assert world.issue_status().value == "sent"
    again = runner.invoke(app, ["daily", "--date", DATE.isoformat()])
    assert "already sent" in again.stdout

"""The delivery pipeline on SQLite and PostgreSQL, with the in-memory transport."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from newsletter.audience import unsubscribe
from newsletter.db import transaction
from newsletter.errors import ConfigError, StateError
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import (
    Delivery,
    DeliveryState,
    Issue,
    IssueStatus,
    MailingList,
    SendRun,
    SendRunStatus,
    SendSlice,
    SliceState,
)
from newsletter.models.base import utcnow
from newsletter.sending import (
    Backoff,
    SendLockedError,
    SendOptions,
    SendReport,
    StopKind,
    Tuning,
    UncertainPolicy,
    ledger,
    retry_issue,
    send_issue,
    send_status,
)
from newsletter.sending.runs import RunFacts, acquire
from newsletter.settings import Settings
from newsletter.tokens import TokenPurpose, read_token
from newsletter.transport import (
    AccountError,
    MemoryTransport,
    OutgoingMessage,
    PermanentError,
    SendQuota,
    TransientError,
    Transport,
)
from newsletter.transport.base import Closing
from tests.support.mail import parse
from tests.support.sending import DATE, World, make_world

FAST = Tuning(backoff=Backoff(base=0.0, throttled_base=0.0), batch_size=7, seed=1)


def recipients(transport: MemoryTransport) -> Counter[str]:
    """How many messages each address received."""
    return Counter(m.recipients[0] for m in transport.sent)


def run(world: World, transport: Transport, **kw: Any) -> SendReport:
    args: dict[str, Any] = {"date": DATE, "rate": None, "concurrency": 4, "tuning": FAST}
    args.update(kw)
    extra = {k: args.pop(k) for k in ("on_progress", "stop") if k in args}
    return send_issue(world.engine, world.settings, transport, options=SendOptions(**args), **extra)


def test_every_active_subscriber_gets_exactly_one_personal_message(world: World) -> None:
    ids = world.add(30)
    transport = MemoryTransport()
    options = SendOptions(date=DATE, rate=None, concurrency=4, tuning=FAST)
    report = send_issue(world.engine, world.settings, transport, options=options)
    assert report.status == "finished"
    assert report.sent == 30
    assert report.failed == report.deferred == report.skipped == 0
    got = recipients(transport)
    assert set(got) == {world.emails[i] for i in ids}
    assert set(got.values()) == {1}
    rows = world.deliveries()
    assert {r.state for r in rows.values()} == {DeliveryState.SENT}
    assert all(r.message_id and r.attempts == 1 and r.sent_at for r in rows.values())
    assert world.issue_status() is IssueStatus.SENT
    # Each message carries its own recipient's token, in the header and in both parts.
    for message in transport.sent:
        msg = parse(message.raw)
        url = msg["List-Unsubscribe"].strip("<>")
        token = url.rsplit("/", 1)[1]
        data = read_token(world.settings, token, purpose=TokenPurpose.UNSUBSCRIBE)
        assert world.emails[data.subscriber_id] == message.recipients[0]
        assert data.list_id == world.list_id
        assert data.issue_id == world.issue_id
        html_part, text_part = msg.get_body(("html",)), msg.get_body(("plain",))
        assert html_part is not None
        assert text_part is not None
        html, text = html_part.get_content(), text_part.get_content()
        assert url in html.replace("&amp;", "&")
        assert url in text
        assert "__NEWSLETTER_" not in html + text
        assert message.sender == "news@example.com"
        assert ("issue", "2025-08-14") in message.tags
    assert transport.closed is False  # the caller owns the transport


def test_nobody_who_left_is_mailed(world: World) -> None:
    ids = world.add(6)
    pending = world.add_one("pending@example.com", confirmed=False)
    with transaction(world.engine) as session:
        unsubscribe(session, subscriber_id=ids[0], list_id=world.list_id, method="operator")
        record_bounce(
            session, email=world.emails[ids[1]], permanent=True, detail="550", soft_limit=3
        )
        record_complaint(session, email=world.emails[ids[2]], detail="abuse")
    transport = MemoryTransport()
    report = run(world, transport)
    got = set(recipients(transport))
    assert got == {world.emails[i] for i in ids[3:]}
    assert world.emails[pending] not in got
    assert report.sent == 3


class LeaveMidway(Closing):
    """Sends through memory; on the first call, some subscribers unsubscribe and one bounces
    (as the web service and the SNS webhook would, meanwhile)."""

    name = "midway"

    def __init__(self, world: World, *, unsubscribing: list[int], bouncing: int) -> None:
        self.inner = MemoryTransport()
        self.world = world
        self.unsubscribing = unsubscribing
        self.bouncing = bouncing
        self.done = False

    def send(self, message: OutgoingMessage) -> str:
        if not self.done:
            self.done = True
            with transaction(self.world.engine) as session:
                for sid in self.unsubscribing:
                    unsubscribe(
                        session, subscriber_id=sid, list_id=self.world.list_id, method="one-click"
                    )
                record_bounce(
                    session,
                    email=self.world.emails[self.bouncing],
                    permanent=True,
                    detail="550",
                    soft_limit=3,
                )
        return self.inner.send(message)

    def quota(self) -> SendQuota | None:
        return None

    def close(self) -> None:
        pass


def test_who_leaves_during_the_send_is_not_mailed_afterwards(world: World) -> None:
    ids = world.add(40)
    # Every row is planned (queued) at the start; whoever leaves afterwards is checked
    # again when their row is claimed, and skipped.
    leaving = [ids[1], ids[2], ids[-1]]
    transport = LeaveMidway(world, unsubscribing=[ids[1], ids[-1]], bouncing=ids[2])
    report = run(world, transport, concurrency=1)
    got = set(recipients(transport.inner))
    assert got == {world.emails[i] for i in ids if i not in leaving}
    rows = world.deliveries()
    for sid in leaving:
        assert rows[sid].state is DeliveryState.SKIPPED
        assert "not mailable" in rows[sid].error
    assert report.skipped == 3
    assert report.status == "finished"
    # The report counts whom the run sent to, not who left before their turn.
    assert report.to_send == report.sent == 37


def test_a_draft_is_rendered_once_and_stored(engine: Engine, settings: Settings) -> None:
    world = make_world(engine, settings, None, draft=True)
    world.add(2)
    assert world.issue_status() is IssueStatus.DRAFT
    transport = MemoryTransport()
    run(world, transport)
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        assert issue.status is IssueStatus.SENT
        assert issue.rendered_html
        assert issue.rendered_at
        assert issue.sent_at
    assert len(transport.sent) == 2


def test_dry_run_writes_and_sends_nothing(world: World) -> None:
    world.add(5)
    transport = MemoryTransport()
    report = run(world, transport, dry_run=True)
    assert report.status == "dry-run"
    assert report.to_send == 5
    assert transport.sent == []
    assert world.deliveries() == {}
    assert world.issue_status() is IssueStatus.RENDERED
    with transaction(world.engine) as session:
        assert session.scalars(select(SendRun)).all() == []


def test_second_send_of_a_sent_issue_refuses(world: World) -> None:
    world.add(3)
    run(world, MemoryTransport())
    transport = MemoryTransport()
    with pytest.raises(StateError, match="already sent"):
        run(world, transport)
    assert transport.sent == []


def _stage_run(session: Session, issue: Issue, world: World, *, owner: str) -> RunFacts:
    """A running send of the issue held by ``owner`` (another process or host)."""
    mailing_list = session.get(MailingList, world.list_id)
    assert mailing_list is not None
    return acquire(
        session,
        issue=issue,
        mailing_list=mailing_list,
        owner=owner,
        rate=None,
        quota_left=None,
        mode="send",
        uncertain_policy="resend",
        decision=None,
    )


def test_a_concurrent_send_refuses_with_a_clear_message(world: World) -> None:
    world.add(3)
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        # A live run elsewhere: another host, a fresh heartbeat.
        _stage_run(session, issue, world, owner="other-host:123:abcd")
    transport = MemoryTransport()
    with pytest.raises(SendLockedError, match="another send of the issue of 2025-08-14 is running"):
        run(world, transport)
    assert transport.sent == []
    assert world.deliveries() == {}


def test_a_stale_lock_is_taken_over(world: World) -> None:
    world.add(3)
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        lock = _stage_run(session, issue, world, owner="other-host:123:abcd")
        run_row = session.get(SendRun, lock.run_id)
        assert run_row is not None
        run_row.heartbeat_at = utcnow() - dt.timedelta(minutes=10)
    report = run(world, MemoryTransport())
    assert report.status == "finished"
    assert "took over run" in report.took_over
    with transaction(world.engine) as session:
        old = session.get(SendRun, lock.run_id)
        assert old is not None
        assert old.status is SendRunStatus.STOPPED
        assert old.running_issue_id is None
        assert "taken over" in old.stop_reason


@pytest.mark.parametrize("policy", [UncertainPolicy.RESEND, UncertainPolicy.SKIP])
def test_rows_left_sending_by_a_crash_are_reported_and_handled(
    world: World, policy: UncertainPolicy
) -> None:
    ids = world.add(10)
    # Stage what a killed run leaves: 4 sent, 2 "sending" (fate unknown), 4 queued, and
    # a dead run still holding the lock.
    run(world, MemoryTransport(), dry_run=True)
    with transaction(world.engine) as session:
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        lock = _stage_run(session, issue, world, owner="other-host:9:dead")
        stale = session.get(SendRun, lock.run_id)
        assert stale is not None
        stale.heartbeat_at = utcnow() - dt.timedelta(hours=1)
        issue.status = IssueStatus.SENDING
    first = MemoryTransport()
    report = run(world, first, stop=None, tuning=FAST)
    assert report.sent == 10
    world.set_deliveries(ids[4:6], state=DeliveryState.SENDING)
    world.set_deliveries(ids[6:], state=DeliveryState.QUEUED, message_id=None)
    with transaction(world.engine) as session:
        for r in session.scalars(select(SendRun)):
            if r.status is SendRunStatus.FINISHED:
                r.status = SendRunStatus.STOPPED  # pretend the run was killed
        issue = session.get(Issue, world.issue_id)
        assert issue is not None
        issue.status = IssueStatus.SENDING

    status = send_status(world.engine, date=DATE)
    assert status.uncertain_open == 2
    second = MemoryTransport()
    report = run(world, second, uncertain=policy)
    assert report.uncertain == 2
    assert sorted(report.uncertain_subscriber_ids) == sorted(ids[4:6])
    got = set(recipients(second))
    rows = world.deliveries()
    if policy is UncertainPolicy.RESEND:
        assert got == {world.emails[i] for i in ids[4:]}
        assert all(rows[i].state is DeliveryState.SENT for i in ids)
        assert rows[ids[4]].uncertain
        assert not rows[ids[6]].uncertain
    else:
        assert got == {world.emails[i] for i in ids[6:]}
        assert all(rows[i].state is DeliveryState.SKIPPED for i in ids[4:6])
        assert rows[ids[4]].uncertain
    assert send_status(world.engine, date=DATE).uncertain_open == 0


class Scripted(Closing):
    """A transport that fails some addresses in a given way and sends the others."""

    name = "scripted"

    def __init__(self, errors: dict[str, list[Exception]]) -> None:
        self.inner = MemoryTransport()
        self.errors = errors

    def send(self, message: OutgoingMessage) -> str:
        queue = self.errors.get(message.recipients[0])
        if queue:
            raise queue.pop(0)
        return self.inner.send(message)

    def quota(self) -> SendQuota | None:
        return None

    def close(self) -> None:
        pass


def test_permanent_failure_fails_that_recipient_only(world: World) -> None:
    ids = world.add(5)
    bad = world.emails[ids[2]]
    transport = Scripted({bad: [PermanentError("SES rejected the message (MessageRejected)")]})
    report = run(world, transport)
    rows = world.deliveries()
    assert rows[ids[2]].state is DeliveryState.FAILED
    assert "MessageRejected" in rows[ids[2]].error
    assert report.failed == 1
    assert report.sent == 4
    assert report.status == "finished"


def test_transient_errors_are_retried_then_deferred_never_dropped(world: World) -> None:
    ids = world.add(4)
    flaky = world.emails[ids[0]]
    hopeless = world.emails[ids[1]]
    transport = Scripted(
        {
            flaky: [TransientError("503"), TransientError("throttled", throttled=True)],
            hopeless: [TransientError("503")] * 10,
        }
    )
    tuning = Tuning(backoff=Backoff(base=0.0, throttled_base=0.0), max_attempts=3)
    report = run(world, transport, tuning=tuning)
    rows = world.deliveries()
    assert rows[ids[0]].state is DeliveryState.SENT
    assert rows[ids[0]].attempts == 3
    assert rows[ids[0]].error == ""
    assert rows[ids[1]].state is DeliveryState.DEFERRED
    assert rows[ids[1]].attempts == 3
    assert "503" in rows[ids[1]].error
    assert report.deferred == 1
    assert report.retries == 4
    # `send retry` sends the deferred one once the provider is well again.
    transport.errors.clear()
    options = SendOptions(date=DATE, rate=None, tuning=FAST)
    again = retry_issue(world.engine, world.settings, transport, options=options)
    assert again.requeued == 1
    assert again.sent == 1
    assert world.deliveries()[ids[1]].state is DeliveryState.SENT
    assert Counter(m.recipients[0] for m in transport.inner.sent)[hopeless] == 1


def test_account_error_stops_and_a_rerun_continues(world: World) -> None:
    ids = world.add(20)
    victim = world.emails[ids[5]]
    transport = Scripted({victim: [AccountError("SES refuses (SendingPausedException)")]})
    report = run(world, transport, concurrency=1)
    assert report.status == "stopped"
    assert report.stop_kind == StopKind.ACCOUNT.value
    assert "SendingPausedException" in report.stop_reason
    assert world.issue_status() is IssueStatus.SENDING
    rows = world.deliveries()
    assert rows[ids[5]].state is DeliveryState.QUEUED  # kept, not lost
    assert not any(r.state is DeliveryState.SENDING for r in rows.values())
    sent_first = set(recipients(transport.inner))
    assert len(sent_first) == 5
    # The account is fine again: the same command continues where it stopped.
    report = run(world, transport)
    assert report.status == "finished"
    got = recipients(transport.inner)
    assert set(got) == {world.emails[i] for i in ids}
    assert set(got.values()) == {1}
    assert world.issue_status() is IssueStatus.SENT


def test_daily_quota_stops_before_it_runs_out_and_says_when(world: World) -> None:
    world.add(12)
    quota = SendQuota(
        max_send_rate=1000.0,
        max_24_hour_send=200.0,
        sent_last_24_hours=195.0,
        real=True,
        source="test",
    )
    transport = MemoryTransport(quota=quota)
    report = run(world, transport)
    assert report.status == "stopped"
    assert report.stop_kind == "quota"
    assert len(transport.sent) == 5
    assert report.resume_after is not None
    assert "24-hour" in report.stop_reason
    assert "run the same command again" in report.stop_reason
    assert report.rate.effective == 1000.0


def test_rate_is_the_lower_of_asked_and_provider_and_placeholders_are_ignored(
    world: World,
) -> None:
    world.add(1)
    real = SendQuota(14.0, 50000.0, 0.0, real=True, source="sesv2 GetAccount")
    fake = SendQuota(1.0, 200.0, 0.0, real=False, source="ses GetSendQuota")
    r1 = run(world, MemoryTransport(quota=real), rate=100.0, dry_run=True)
    assert r1.rate.effective == 14.0
    r2 = run(world, MemoryTransport(quota=fake), rate=100.0, dry_run=True)
    assert r2.rate.effective == 100.0
    assert r2.rate.remaining_24h is None
    assert "placeholder" in r2.rate.quota_note


def test_missing_settings_are_refused_before_anything_changes(world: World) -> None:
    world.add(1)
    bad = world.settings.model_copy(update={"secret_key": ""})
    with pytest.raises(ConfigError, match="NEWSLETTER_SECRET_KEY"):
        send_issue(world.engine, bad, MemoryTransport(), options=SendOptions(date=DATE))
    assert world.deliveries() == {}
    assert world.issue_status() is IssueStatus.RENDERED


class TakenOver(Closing):
    """Sends through memory; on the 3rd message another run takes the lock over (as one
    would after this run's heartbeat went stale)."""

    name = "taken-over"

    def __init__(self, world: World) -> None:
        self.inner = MemoryTransport()
        self.world = world

    def send(self, message: OutgoingMessage) -> str:
        if len(self.inner.sent) == 2:
            with transaction(self.world.engine) as session:
                for r in session.scalars(select(SendRun)):
                    r.running_issue_id = None
                    r.status = SendRunStatus.STOPPED
                    r.stop_reason = "taken over by another-host:1:x"
        time.sleep(0.02)  # give the heartbeat (every 50 ms here) a chance to run
        return self.inner.send(message)

    def quota(self) -> SendQuota | None:
        return None

    def close(self) -> None:
        pass


def test_a_run_whose_lock_was_taken_over_stops(world: World) -> None:
    world.add(60)
    transport = TakenOver(world)
    tuning = Tuning(heartbeat_every=0.05, batch_size=10)
    report = run(world, transport, concurrency=1, tuning=tuning)
    assert report.status == "stopped"
    assert report.stop_kind == StopKind.LOCK_LOST.value
    assert len(transport.inner.sent) < 60
    rows = world.deliveries()
    assert sum(r.state is DeliveryState.SENT for r in rows.values()) == len(transport.inner.sent)
    with transaction(world.engine) as session:
        (run_row,) = session.scalars(select(SendRun)).all()
        # The run that took over owns the row's story: this one does not overwrite it.
        assert run_row.stop_reason == "taken over by another-host:1:x"


class _WaitsForTheNextSlice(MemoryTransport):
    """Holds its first message until the run has a second slice taken (at most 10 s)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.seen_overlap = False
        self._first = True

    def send(self, message: OutgoingMessage) -> str:
        if self._first:
            self._first = False
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not self.seen_overlap:
                with transaction(self.engine) as session:
                    taken = session.scalars(
                        select(SendSlice.id).where(SendSlice.state == SliceState.TAKEN)
                    ).all()
                self.seen_overlap = len(taken) >= 2
                time.sleep(0.02)
        return super().send(message)


def test_the_next_slice_is_queued_while_the_last_messages_of_one_are_sent(world: World) -> None:
    # One worker, slices of 4 rows: while a message of the first slice is still with the
    # provider, the worker has already taken the second (its threads never wait for a slice
    # to be handed over); every slice is released done, every reader gets one message.
    world.add(13)
    transport = _WaitsForTheNextSlice(world.engine)
    report = run(world, transport, concurrency=2, tuning=dataclasses.replace(FAST, slice_rows=4))
    assert report.status == "finished"
    assert transport.seen_overlap
    assert set(recipients(transport).values()) == {1}
    assert len(transport.sent) == 13
    with transaction(world.engine) as session:
        states = session.scalars(select(SendSlice.state)).all()
    assert len(states) >= 4
    assert set(states) == {SliceState.DONE}


def test_planning_adds_each_reader_once_and_keeps_the_rows_there(world: World) -> None:
    # The unique (issue, subscriber) index skips the rows already planned: a second plan
    # (a rerun) adds none and leaves the first plan's rows as they were.
    world.add_bulk(50)
    first = ledger.plan_rows(world.engine, issue_id=world.issue_id, list_id=world.list_id)
    with transaction(world.engine) as session:
        session.execute(
            update(Delivery)
            .where(
                Delivery.subscriber_id == session.scalar(select(func.min(Delivery.subscriber_id)))
            )
            .values(state=DeliveryState.SENT, message_id="kept")
        )
    again = ledger.plan_rows(world.engine, issue_id=world.issue_id, list_id=world.list_id)
    with transaction(world.engine) as session:
        rows = session.execute(select(Delivery.state, Delivery.message_id)).all()
    assert (first, again) == (50, 0)
    assert len(rows) == 50
    assert sum(1 for state, mid in rows if state is DeliveryState.SENT and mid == "kept") == 1

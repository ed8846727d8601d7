"""Decided once, read everywhere: a tracked list's messages take the tracking configuration
set on every send path, whatever the sending process's own settings say; the guard refuses
on every path, and a --force is recorded with the run."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from newsletter.audience.consent import set_tracking_choice
from newsletter.aws import handlers as aws_handlers
from newsletter.cli import app
from newsletter.db import transaction
from newsletter.feedback.tracking import set_tracking
from newsletter.models import DeliveryState, GuardOverride, SendRun
from newsletter.sending.decision import read_decision
from newsletter.sending.options import SendOptions
from newsletter.sending.run import plan_send
from newsletter.settings import Settings
from newsletter.transport import make_transport
from tests.support.feedback import mass_history
from tests.support.mail import parse, part_text
from tests.support.sending import DATE, FaultProxy, Ses, World
from tests.support.sqs import make_queues, receive_records

ProxyFactory = Callable[[Callable[[int], str | None]], FaultProxy]
DAY = DATE.isoformat()


@pytest.fixture
def tracked(
    world: World, ses: Ses, fault_proxy: ProxyFactory, monkeypatch: pytest.MonkeyPatch
) -> FaultProxy:
    """The world's list tracked; the CLI on SES through a recording proxy, with a plain and a
    tracking configuration set configured."""
    with transaction(world.engine) as session:
        set_tracking(session, list_id=world.list_id, enabled=True)
    proxy = fault_proxy(lambda n: None)
    env = {
        "NEWSLETTER_DATABASE_URL": world.settings.database_url,
        "NEWSLETTER_BASE_URL": world.settings.base_url,
        "NEWSLETTER_SENDER": world.settings.sender,
        "NEWSLETTER_SECRET_KEY": world.settings.secret_key,
        "NEWSLETTER_POSTAL_ADDRESS": world.settings.postal_address,
        "NEWSLETTER_TRANSPORT": "ses",
        "NEWSLETTER_SES_ENDPOINT_URL": proxy.url,
        "NEWSLETTER_SES_CONFIGURATION_SET": "plain",
        "NEWSLETTER_SES_TRACKING_CONFIGURATION_SET": "tracked",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return proxy


def _sets(proxy: FaultProxy) -> set[str | None]:
    return {b.get("ConfigurationSetName") for b in proxy.bodies if _to(b) != DECLINED}


DECLINED = "declined@example.org"


def _to(body: dict[str, object]) -> str:
    destination = body.get("Destination")
    assert isinstance(destination, dict)
    (address,) = destination["ToAddresses"]
    return str(address)


def _declined_copy_is_untracked(proxy: FaultProxy) -> None:
    """The subscriber who declined tracking got their copy through the plain set, with no
    link tagged for SES's click tracking."""
    bodies = [b for b in proxy.bodies if _to(b) == DECLINED]
    assert bodies, "the subscriber who declined got nothing"
    for body in bodies:
        assert body.get("ConfigurationSetName") == "plain"
        content = body["Content"]
        assert isinstance(content, dict)
        html = part_text(parse(base64.b64decode(content["Raw"]["Data"])), "html")
        assert "ses:tags" not in html
        assert "https://" in html
    others = [b for b in proxy.bodies if _to(b) != DECLINED]
    assert others
    assert all(b.get("ConfigurationSetName") == "tracked" for b in others)
    content = others[0]["Content"]
    assert isinstance(content, dict)
    assert "ses:tags" in part_text(parse(base64.b64decode(content["Raw"]["Data"])), "html")


def _decline(world: World) -> None:
    """One subscriber of the tracked list declines tracking (their own choice)."""
    sid = world.add_one(DECLINED)
    with transaction(world.engine) as session:
        set_tracking_choice(session, subscriber_id=sid, choice=False, method="test")


def _ok(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def _decision_of_last_run(world: World) -> dict[str, object]:
    with transaction(world.engine) as session:
        run = session.scalars(select(SendRun).order_by(SendRun.id.desc())).first()
        assert run is not None
        decision = read_decision(run)
        assert decision is not None
        return decision.as_json()


def test_send_issue_and_retry_take_the_tracking_set(
    world: World, tracked: FaultProxy, runner: CliRunner
) -> None:
    ids = world.add(4)
    _decline(world)
    _ok(runner, "send", "issue", "--date", DAY)
    assert len(tracked.bodies) == 5
    assert _sets(tracked) == {"tracked"}
    _declined_copy_is_untracked(tracked)
    decision = _decision_of_last_run(world)
    assert decision["tracked"] is True
    assert decision["configuration_set"] == "tracked"
    # A retry of two failed messages, from a process whose settings know no tracking set:
    # the new run decides again from the list, and refuses rather than send untracked.
    world.set_deliveries(ids[:2], state=DeliveryState.FAILED)
    runner_env = {"NEWSLETTER_SES_TRACKING_CONFIGURATION_SET": ""}
    refused = runner.invoke(app, ["send", "retry", "--date", DAY], env=runner_env)
    assert refused.exit_code == 2
    assert "NEWSLETTER_SES_TRACKING_CONFIGURATION_SET is not set" in refused.stderr
    report = _ok(runner, "send", "retry", "--date", DAY)
    assert report["sent"] == 2
    assert len(tracked.bodies) == 7
    assert _sets(tracked) == {"tracked"}


def test_local_workers_take_the_tracking_set(
    world: World, tracked: FaultProxy, runner: CliRunner
) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    world.add(30)
    _decline(world)
    report = _ok(runner, "send", "issue", "--date", DAY, "--workers", "2", "--rate", "50")
    assert report["sent"] == 31
    assert len(tracked.bodies) == 31
    assert _sets(tracked) == {"tracked"}
    _declined_copy_is_untracked(tracked)


def test_send_work_reads_the_run_not_its_settings(
    world: World, tracked: FaultProxy, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    if world.engine.dialect.name != "postgresql":
        pytest.skip("`send work` joins runs on PostgreSQL")
    ids = world.add(6)
    _decline(world)
    # A run planned (as the fan-out plans one), then worked by `send work` from a process
    # configured with the plain set only: the run's decision wins.
    with make_transport(Settings(), concurrency=2) as transport:
        _, planned = plan_send(
            world.engine,
            Settings(),
            transport,
            options=SendOptions(date=DATE),
            rows_per_slice=lambda rate: 100,
        )
    monkeypatch.setenv("NEWSLETTER_SES_TRACKING_CONFIGURATION_SET", "")
    run = str(planned.run_id)
    work = runner.invoke(app, ["send", "work", "--date", DAY, "--run", run, "--json"])
    assert work.exit_code == 0, work.output
    assert len(tracked.bodies) == len(ids) + 1
    assert _sets(tracked) == {"tracked"}
    _declined_copy_is_untracked(tracked)


def test_the_sqs_worker_takes_the_planners_decision(
    world: World, tracked: FaultProxy, ses: Ses, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.add(7)
    _decline(world)
    sqs, queue, dlq = make_queues(ses.endpoint)
    monkeypatch.setenv("NEWSLETTER_SEND_QUEUE_URL", queue)
    monkeypatch.setenv("NEWSLETTER_SEND_DEAD_LETTER_QUEUE_URL", dlq)
    monkeypatch.setenv("NEWSLETTER_SQS_ENDPOINT_URL", ses.endpoint)
    planned = aws_handlers.daily({"date": DAY}, None)
    send = planned["editions"][0]["send"]
    # The worker function is configured with the plain set only (a stale deployment, say):
    # it still sends the tracked list through the tracking set the planner decided.
    monkeypatch.setenv("NEWSLETTER_SES_TRACKING_CONFIGURATION_SET", "")
    records = receive_records(sqs, queue, want=send["slices"])
    assert aws_handlers.send_worker({"Records": records}, None) == {"batchItemFailures": []}
    assert len(tracked.bodies) == 8
    assert _sets(tracked) == {"tracked"}
    _declined_copy_is_untracked(tracked)


@pytest.mark.parametrize("path", ["issue", "retry", "daily"])
def test_the_guard_refuses_on_every_path_and_force_is_recorded(
    world: World, tracked: FaultProxy, runner: CliRunner, path: str
) -> None:
    ids = world.add(3)
    if path == "retry":
        _ok(runner, "send", "issue", "--date", DAY)
        world.set_deliveries(ids, state=DeliveryState.FAILED)
    mass_history(world.engine, complaints=0, hard_bounces=600, list_name="daily")
    command = {
        "issue": ["send", "issue", "--date", DAY],
        "retry": ["send", "retry", "--date", DAY],
        "daily": ["daily", "--date", DAY],
    }[path]
    refused = runner.invoke(app, command)
    assert refused.exit_code == 2
    assert "bounce rate" in refused.stderr
    forced = runner.invoke(app, [*command, "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    decision = _decision_of_last_run(world)
    assert decision["forced"] is True
    assert "bounce rate" in str(decision["guard_problems"])
    assert decision["forced_by"]
    with transaction(world.engine) as session:
        assert len(session.scalars(select(GuardOverride)).all()) == 1

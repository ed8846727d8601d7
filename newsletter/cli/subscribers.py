"""`newsletter subscribers ...`: add, import, export, list, show, unsubscribe, erase, stats,
confirm-pending."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from newsletter import db, optin
from newsletter.audience import (
    STATUS_CHOICES,
    ImportReport,
    erase_subscriber,
    export_subscribers,
    find_subscriber,
    get_list,
    import_file,
    list_subscribers,
    parse_status,
    read_subscriber_csv,
    refusal_reason,
    subscriber_detail,
    subscriber_stats,
    unsubscribe,
)
from newsletter.cli.context import Runtime, runtime
from newsletter.cli.output import echo, print_json, print_table
from newsletter.errors import InputError, NewsletterError, NotFoundError, StateError
from newsletter.files import atomic_text
from newsletter.preferences import list_settings
from newsletter.transport import make_transport

app = typer.Typer(
    help="Subscribers: add, import, export, inspect, unsubscribe.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
ListOpt = Annotated[str | None, typer.Option("--list", help="List name (default: all lists).")]
AddListOpt = Annotated[
    str | None, typer.Option("--list", help="List name (default: NEWSLETTER_DEFAULT_LIST).")
]
StatusOpt = Annotated[
    str | None, typer.Option("--status", help=f"One of: {', '.join(STATUS_CHOICES)}.")
]
ConfirmedOpt = Annotated[
    bool,
    typer.Option(
        "--confirmed",
        help="The people already confirmed elsewhere: active now, no double opt-in.",
    ),
]


def _send_confirmations(rt: Runtime, targets: Sequence[optin.ConfirmationTarget]) -> None:
    """Send the double opt-in emails, after the subscriptions are committed.

    Whatever goes wrong (settings missing, transport refusing) the subscriptions stay pending
    and the command still succeeds: the problem is reported on stderr.
    """
    if not targets:
        return
    transport = None
    try:
        transport = make_transport(rt.settings, concurrency=1)
        outcome = optin.send_confirmations(
            rt.settings, transport, targets, record_in=rt.engine(), method="operator"
        )
    except NewsletterError as exc:
        echo(f"warning: no confirmation email sent: {exc}", err=True)
        return
    finally:
        if transport is not None:
            transport.close()
    if not outcome.failed:
        echo(f"confirmation email sent ({rt.settings.transport})")
    else:
        echo(f"warning: {outcome.failed} confirmation email(s) not sent (see the log)", err=True)


_ADD_MESSAGES = {
    "added": "{email}: active on {list}",
    "pending": "{email}: pending on {list} until the person confirms",
    "already": "{email}: already on {list} ({status}), nothing changed",
    "reactivated_pending": "{email}: pending again on {list}",
}

#: Why an add was refused, as a sentence (the reason is the core's: AddResult, suppressions).
_REFUSED = {
    "erased": "this address was erased on request and is never mailed again: not added to {list}",
    "bounced": "this address bounced and is never mailed again: not added to {list}",
    "complained": (
        "this address reported our mail as spam and is never mailed again: not added to {list}"
    ),
    "unsubscribed": (
        "this address unsubscribed from {list}: only the person can subscribe again (the "
        "sign-up form or their preference page), so it was not added"
    ),
}


@app.command()
def add(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address.")],
    name: Annotated[str, typer.Option(help="The person's name.")] = "",
    language: Annotated[str, typer.Option(help="Language tag, e.g. zh-CN.")] = "",
    list_name: AddListOpt = None,
    confirmed: ConfirmedOpt = False,
    no_email: Annotated[
        bool, typer.Option("--no-email", help="Pending, but send no confirmation email now.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Add one address; pending until the person confirms the emailed link, unless --confirmed."""
    rt = runtime(ctx)
    target_list = list_name or rt.settings.default_list
    with db.transaction(rt.engine()) as session:
        added = optin.add(
            session,
            rt.settings,
            email=email,
            list_name=target_list,
            name=name,
            language=language,
            confirmed=confirmed,
            send_email=not no_email,
        )
        result = added.result
        subscriber, subscription = result.subscriber, result.subscription
        data: dict[str, Any] = {
            "outcome": result.outcome,
            "email": subscriber.email if subscriber and subscriber.email else email.strip(),
            "list": target_list,
            "status": subscription.status.value if subscription else None,
            "subscriber_status": subscriber.status.value if subscriber else None,
        }
        if result.outcome == "suppressed":
            data["reason"] = refusal_reason(session, result, email=email)
    if result.outcome == "suppressed":
        # A refusal is not a success: exit 2, with the true reason.
        if as_json:
            print_json(data)
            raise typer.Exit(2)
        raise StateError(_REFUSED[data["reason"]].format(list=target_list))
    if as_json:
        print_json(data)
    else:
        echo(_ADD_MESSAGES[result.outcome].format(**data))
    _send_confirmations(rt, added.confirmations)


def _print_report(report: ImportReport) -> None:
    where = f"{report.source} -> list {report.list_name!r}"
    echo(f"{where}{' (dry run: nothing written)' if report.dry_run else ''}")
    echo(f"  rows read:            {report.rows}")
    echo(
        f"  subscribed ({report.status}): {report.subscribed} ({report.new_subscribers} new people)"
    )
    if report.activated:
        echo(f"  made active:          {report.activated}")
    echo(f"  already on the list:  {report.unchanged}")
    echo(f"  suppressed:           {len(report.suppressed)}")
    echo(f"  duplicates merged:    {len(report.duplicates)}")
    echo(f"  invalid:              {len(report.invalid)}")
    problems = sorted(
        [*report.invalid, *report.suppressed, *report.duplicates], key=lambda p: p.line
    )
    for problem in problems:
        echo(f"  line {problem.line}: {problem.reason}")
    if report.warnings:
        echo(f"  warnings:             {len(report.warnings)}")
    for warning in report.warnings:
        echo(f"  line {warning.line}: warning: {warning.reason}")


@app.command("import")
def import_(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CSV with an email column (name, language, ...).")],
    list_name: AddListOpt = None,
    confirmed: ConfirmedOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report only; write nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import a CSV in one transaction; bad rows are reported by line and skipped."""
    rt = runtime(ctx)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", source=str(path)) from None
    parsed = read_subscriber_csv(data, source=str(path))  # everything is read before writing
    report = import_file(
        rt.engine(),
        parsed,
        list_name=list_name or rt.settings.default_list,
        confirmed=confirmed,
        dry_run=dry_run,
    )
    if as_json:
        print_json(report.to_dict())
        return
    _print_report(report)
    if report.subscribed and not confirmed and not dry_run:
        # Thousands of emails are a send, with its rate limit, not a side effect of an import.
        echo(
            f"{report.subscribed} new subscriptions are pending: an import sends no "
            "confirmation emails (send them with `newsletter subscribers confirm-pending`)"
        )


@app.command()
def export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="The CSV file to write ('-': standard output).")],
    list_name: ListOpt = None,
    status: StatusOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export subscriptions as CSV, one row per person and list (erased people left out)."""
    wanted = parse_status(status)
    with db.transaction(runtime(ctx).engine()) as session:
        if str(path) == "-":
            export_subscribers(session, _Stdout(), list_name=list_name, status=wanted)
            return
        try:
            with atomic_text(path) as out:
                count = export_subscribers(session, out, list_name=list_name, status=wanted)
        except OSError as exc:
            raise InputError(f"cannot write: {exc.strerror}", source=str(path)) from None
    if as_json:
        print_json({"path": str(path), "rows": count})
    else:
        echo(f"exported {count} rows to {path}")


class _Stdout:
    """A text sink that writes through typer.echo (so CliRunner captures it)."""

    def write(self, text: str) -> int:
        typer.echo(text, nl=False)  # the export has no control characters: no escaping
        return len(text)


@app.command("list")
def list_(
    ctx: typer.Context,
    list_name: ListOpt = None,
    status: StatusOpt = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many people.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List subscribers with their status on each list."""
    wanted = parse_status(status)
    with db.transaction(runtime(ctx).engine()) as session:
        people = list_subscribers(session, list_name=list_name, status=wanted, limit=limit)
    if as_json:
        print_json(people)
        return
    rows = [
        [
            p["email"] or "(erased)",
            p["name"],
            p["status"],
            ", ".join(f"{k}: {v}" for k, v in p["lists"].items()),
        ]
        for p in people
    ]
    print_table("Subscribers", columns=["email", "name", "status", "lists"], rows=rows)


@app.command()
def show(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address (any case).")],
    as_json: JsonOpt = False,
) -> None:
    """One person: status per list and the whole event history."""
    with db.transaction(runtime(ctx).engine()) as session:
        data = subscriber_detail(session, email)
    if as_json:
        print_json(data)
        return
    echo(f"{data['email'] or '(erased)'}  [{data['status']}]  {data['name']}")
    if data["soft_bounces"]:
        echo(f"soft bounces: {data['soft_bounces']}")
    for s in data["subscriptions"]:
        echo(f"  {s['list']}: {s['status']}")
    rows = [
        [
            e["at"].isoformat(timespec="seconds"),
            e["kind"],
            e["list"],
            e["method"],
            e["issue_date"] or e["issue_id"],
            e["detail"],
        ]
        for e in data["events"]
    ]
    print_table("History", columns=["at", "event", "list", "method", "issue", "detail"], rows=rows)


@app.command("unsubscribe")
def unsubscribe_(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address (any case).")],
    list_name: ListOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Unsubscribe (method operator) from one list, or from every list without --list."""
    with db.transaction(runtime(ctx).engine()) as session:
        subscriber = find_subscriber(session, email)
        if subscriber is None:
            raise NotFoundError("no subscriber with that address")
        list_id = None if list_name is None else get_list(session, list_name).id
        changed = unsubscribe(
            session, subscriber_id=subscriber.id, list_id=list_id, method="operator"
        )
    where = f"list {list_name!r}" if list_name else "every list"
    if as_json:
        print_json({"email": subscriber.email, "list": list_name, "changed": changed})
    elif changed:
        echo(f"{subscriber.email}: unsubscribed from {where}")
    else:
        echo(f"{subscriber.email}: not subscribed to {where}, nothing changed")


@app.command()
def tracking(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address (any case).")],
    choice: Annotated[str, typer.Argument(help="on, off, or list (the list decides).")],
    as_json: JsonOpt = False,
) -> None:
    """A person's own open and click tracking choice, over the list's: off sends their
    copies untracked even to a tracked list."""
    from newsletter.audience.consent import checked_choice, choice_word, set_tracking_choice

    value = checked_choice(choice)
    with db.transaction(runtime(ctx).engine()) as session:
        subscriber = find_subscriber(session, email)
        if subscriber is None:
            raise NotFoundError("no subscriber with that address")
        changed = set_tracking_choice(
            session, subscriber_id=subscriber.id, choice=value, method="operator"
        )
    word = choice_word(value)
    if as_json:
        print_json({"email": subscriber.email, "tracking": word, "changed": changed})
    else:
        echo(f"{subscriber.email}: tracking {word}" + ("" if changed else " (unchanged)"))


@app.command()
def erase(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The address (any case).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Erase a person's data on request; only a hash stays, to keep the address suppressed."""
    if not yes:
        typer.confirm("Erase this person's data? This cannot be undone", abort=True)
    with db.transaction(runtime(ctx).engine()) as session:
        changed = erase_subscriber(session, email=email)
    if as_json:
        print_json({"erased": changed})
    elif changed:
        echo("erased: personal data removed; the address stays suppressed")
    else:
        echo("already erased, nothing changed")


@app.command()
def stats(
    ctx: typer.Context,
    list_name: ListOpt = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Days of growth to show.")] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Counts by status, unsubscribes per issue and method, growth over the last days."""
    with db.transaction(runtime(ctx).engine()) as session:
        data = subscriber_stats(session, list_name=list_name, days=days)
    if as_json:
        print_json(data)
        return
    echo(f"list: {data['list'] or 'all lists'}")
    subs = data["subscriptions"]
    echo("subscriptions: " + ", ".join(f"{k} {v}" for k, v in subs.items()))
    echo(f"mailable now: {data['mailable']}")
    echo("people: " + ", ".join(f"{k} {v}" for k, v in data["subscribers"].items()))
    rows = [
        [u["issue_date"] or u["issue_id"] or "(no issue)", u["method"], u["count"]]
        for u in data["unsubscribes"]
    ]
    print_table("Unsubscribes", columns=["issue", "method", "count"], rows=rows)
    growth = data["growth"]
    kinds = list(growth["totals"])
    daily = [
        [d["date"], *(d[k] for k in kinds)] for d in growth["daily"] if any(d[k] for k in kinds)
    ]
    daily.append(["total", *(growth["totals"][k] for k in kinds)])
    print_table(f"Growth {growth['from']} to {growth['to']}", columns=["date", *kinds], rows=daily)


@app.command("confirm-pending")
def confirm_pending(
    ctx: typer.Context,
    list_name: ListOpt = None,
    rate: Annotated[
        float, typer.Option(min=0.01, help="Emails per second at most (default: 1).")
    ] = 1.0,
    limit: Annotated[int | None, typer.Option(min=1, help="Send at most this many now.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; send nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Send the confirmation emails owed to pending people (e.g. imported), once each.

    Each email sent is recorded in the person's history, so the command can be stopped and
    run again: it goes on with those not sent yet.
    """
    rt = runtime(ctx)
    engine = rt.engine()
    if dry_run:
        with db.transaction(engine) as session:
            list_id = None if list_name is None else get_list(session, list_name).id
            owed = len(optin.unsent_targets(session, rt.settings, list_id=list_id))
        if as_json:
            print_json({"owed": owed, "dry_run": True})
        else:
            echo(f"{owed} confirmation email(s) owed (dry run: nothing sent)")
        return
    transport = make_transport(rt.settings, concurrency=1)
    try:
        outcome = optin.send_pending_confirmations(
            engine,
            rt.settings,
            transport,
            list_name=list_name,
            rate=rate,
            limit=limit,
            settings_for=lambda session, list_id: list_settings(session, rt.settings, list_id),
        )
    finally:
        transport.close()
    data = {"sent": outcome.sent, "failed": outcome.failed, "left": outcome.left}
    if as_json:
        print_json(data)
    else:
        echo(f"confirmation emails sent: {outcome.sent}")
        if outcome.failed:
            echo(f"not sent: {outcome.failed} (see the log; run again to retry them)", err=True)
        if outcome.left:
            echo(f"left for a next run: {outcome.left}")

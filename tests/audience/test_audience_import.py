"""CSV import as operators make files: the exact report and the exact resulting set."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsletter.audience import (
    EXPORT_COLUMNS,
    ImportReport,
    add_subscriber,
    erase_subscriber,
    export_subscribers,
    find_subscriber,
    get_list,
    import_subscribers,
    parse_status,
    read_subscriber_csv,
    unsubscribe,
)
from newsletter.errors import InputError
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import (
    MailingList,
    Subscriber,
    SubscriberEvent,
    Subscription,
)

# Semicolons, a BOM, a header with odd spacing and case, quoted fields holding the delimiter
# and commas, a quoted line break, whitespace, case and IDN duplicates, invalid rows, a blank
# line, and addresses the database already knows in every state.
MESSY_SEMICOLON = (
    "\ufeff Email ;Name;Language;Company\n"  # 1
    "reader1@example.com;Reader One;zh-CN;Example Media\n"  # 2
    "  READER1@Example.COM  ;Upper Dup;en;\n"  # 3
    '"reader2@example.com";"Doe; Jane, Jr.";en;"Example, Inc."\n'  # 4
    "not-an-address;Bad;;\n"  # 5
    ";No Address;;\n"  # 6
    '"a@example.com, b@example.org";Two;;\n'  # 7
    "user@Bücher.example.com;Bücher Fan;de;\n"  # 8
    "User@xn--bcher-kva.example.com;IDN Dup;;\n"  # 9
    'reader3@example.org;Three;zh-CN;"Example\n'  # 10
    'Labs"\n'  # 11
    ";;;\n"  # 12
    "\n"  # 13
    "reader4@example.com;Four;zh CN;\n"  # 14
    "reader5@example.com;Five;;;extra\n"  # 15
    "unsub@example.com;Left;;\n"  # 16
    "BOUNCED@example.com;;;\n"  # 17
    "erased@example.com;;;\n"  # 18
    "stranger@example.org;;;\n"  # 19
    "existing@example.com;Existing Name;en;NewCo\n"  # 20
    "pending@example.com;;;\n"  # 21
    "other@example.com;Other;;\n"  # 22
    "reader6@example.com ; Six ;;\n"  # 23
    "reader6@example.com\n"  # 24
)
# The same rows, comma-separated (quotes now protect the commas).
MESSY_COMMA = (
    "Email,Name,Language,Company\r\n"
    "reader1@example.com,Reader One,zh-CN,Example Media\r\n"
    "  READER1@Example.COM  ,Upper Dup,en,\r\n"
    '"reader2@example.com","Doe; Jane, Jr.",en,"Example, Inc."\r\n'
    "not-an-address,Bad,,\r\n"
    ",No Address,,\r\n"
    '"a@example.com, b@example.org",Two,,\r\n'
    "user@Bücher.example.com,Bücher Fan,de,\r\n"
    "User@xn--bcher-kva.example.com,IDN Dup,,\r\n"
    'reader3@example.org,Three,zh-CN,"Example\r\n'
    'Labs"\r\n'
    ",,,\r\n"
    "\r\n"
    "reader4@example.com,Four,zh CN,\r\n"
    "reader5@example.com,Five,,,extra\r\n"
    "unsub@example.com,Left,,\r\n"
    "BOUNCED@example.com,,,\r\n"
    "erased@example.com,,,\r\n"
    "stranger@example.org,,,\r\n"
    "existing@example.com,Existing Name,en,NewCo\r\n"
    "pending@example.com,,,\r\n"
    "other@example.com,Other,,\r\n"
    "reader6@example.com , Six ,,\r\n"
    "reader6@example.com\r\n"
)

EXPECTED_INVALID = [
    (5, "invalid address: An email address must have an @-sign."),
    (6, "empty address"),
    (7, "two addresses in one field"),
    (12, "empty row"),
    (15, "5 fields, but the header has 4"),
]
#: A bad language tag costs the row nothing but the language (stored empty, reported).
EXPECTED_WARNINGS = [
    (14, "language 'zh CN' is not a language tag such as zh-CN or en: stored empty"),
]
EXPECTED_DUPLICATES = [
    (3, "duplicate of line 2"),
    (9, "duplicate of line 8"),
    (24, "duplicate of line 23"),
]
EXPECTED_SUPPRESSED = [
    (16, "suppressed: unsubscribed from daily"),
    (17, "suppressed: bounced"),
    (18, "suppressed: erased"),
    (19, "suppressed: complained"),
]


def _known_people(session: Session) -> None:
    """The database before the import: people in every state."""
    sub = add_subscriber(session, email="unsub@example.com", list_name="daily", confirmed=True)
    assert sub.subscriber is not None
    unsubscribe(session, subscriber_id=sub.subscriber.id, list_id=None, method="link")
    add_subscriber(session, email="bounced@example.com", list_name="daily", confirmed=True)
    record_bounce(session, email="bounced@example.com", permanent=True, detail="", soft_limit=3)
    add_subscriber(session, email="erased@example.com", list_name="daily", confirmed=True)
    erase_subscriber(session, email="erased@example.com")
    record_complaint(session, email="stranger@example.org", detail="")  # never a subscriber
    add_subscriber(session, email="existing@example.com", list_name="daily", confirmed=True)
    add_subscriber(session, email="pending@example.com", list_name="daily")
    add_subscriber(session, email="other@example.com", list_name="weekly", confirmed=True)
    session.commit()


def _problems(report: ImportReport) -> dict[str, list[tuple[int, str]]]:
    return {
        "invalid": [(p.line, p.reason) for p in report.invalid],
        "duplicates": [(p.line, p.reason) for p in report.duplicates],
        "suppressed": [(p.line, p.reason) for p in report.suppressed],
    }


def _daily(session: Session) -> list[tuple[Any, ...]]:
    """(email, name, language, attributes, global status, status on daily), by address."""
    rows = session.execute(
        select(Subscriber, Subscription)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(MailingList.name == "daily")
    )
    found = [
        (p.email, p.name, p.language, p.attributes, p.status.value, s.status.value) for p, s in rows
    ]
    return sorted(found, key=lambda r: r[0] or "")


@pytest.mark.parametrize(
    ("data", "source"),
    [
        (MESSY_SEMICOLON.encode("utf-8"), "messy-semicolon.csv"),
        (MESSY_COMMA.encode("utf-8"), "messy-comma.csv"),
    ],
)
def test_messy_csv_gives_the_exact_report_and_set(
    session: Session, data: bytes, source: str
) -> None:
    _known_people(session)
    parsed = read_subscriber_csv(data, source=source)
    report = import_subscribers(session, parsed, list_name="daily")
    session.commit()

    assert (report.source, report.list_name, report.status, report.dry_run) == (
        source,
        "daily",
        "pending",
        False,
    )
    assert (report.rows, report.new_subscribers, report.subscribed) == (21, 6, 7)
    assert (report.activated, report.unchanged) == (0, 2)
    assert _problems(report) == {
        "invalid": EXPECTED_INVALID,
        "duplicates": EXPECTED_DUPLICATES,
        "suppressed": EXPECTED_SUPPRESSED,
    }
    assert [(p.line, p.reason) for p in report.warnings] == EXPECTED_WARNINGS
    assert _daily(session) == [
        (None, "", "", {}, "erased", "unsubscribed"),
        ("bounced@example.com", "", "", {}, "bounced", "active"),
        ("existing@example.com", "Existing Name", "en", {"Company": "NewCo"}, "ok", "active"),
        ("other@example.com", "Other", "", {}, "ok", "pending"),
        ("pending@example.com", "", "", {}, "ok", "pending"),
        ("reader1@example.com", "Reader One", "zh-CN", {"Company": "Example Media"}, "ok",
         "pending"),
        ("reader2@example.com", "Doe; Jane, Jr.", "en", {"Company": "Example, Inc."}, "ok",
         "pending"),
        ("reader3@example.org", "Three", "zh-CN", {"Company": "Example\nLabs"}, "ok", "pending"),
        ("reader4@example.com", "Four", "", {}, "ok", "pending"),
        ("reader6@example.com", "Six", "", {}, "ok", "pending"),
        ("unsub@example.com", "", "", {}, "ok", "unsubscribed"),
        ("user@bücher.example.com", "Bücher Fan", "de", {}, "ok", "pending"),
    ]  # fmt: skip
    # Every new subscription has its event, naming the file and line.
    detail = session.scalar(
        select(SubscriberEvent.detail)
        .join(Subscriber, Subscriber.id == SubscriberEvent.subscriber_id)
        .where(Subscriber.email == "reader3@example.org")
    )
    assert detail == f"{source}, line 10"
    imported = session.scalars(
        select(SubscriberEvent.kind).where(SubscriberEvent.method == "import")
    ).all()
    assert [k.value for k in imported] == ["subscribed"] * 7


def test_dry_run_reports_the_same_and_writes_nothing(session: Session) -> None:
    _known_people(session)
    before = [
        session.scalar(select(func.count()).select_from(t))
        for t in (Subscriber, Subscription, SubscriberEvent, MailingList)
    ]
    parsed = read_subscriber_csv(MESSY_SEMICOLON.encode(), source="messy.csv")
    dry = import_subscribers(session, parsed, list_name="daily", dry_run=True)
    session.commit()
    after = [
        session.scalar(select(func.count()).select_from(t))
        for t in (Subscriber, Subscription, SubscriberEvent, MailingList)
    ]
    assert before == after
    real = import_subscribers(session, parsed, list_name="daily")
    assert dry.dry_run
    assert dry.to_dict() | {"dry_run": False} == real.to_dict()


def test_dry_run_into_a_new_list_creates_nothing(session: Session) -> None:
    parsed = read_subscriber_csv(b"email\nreader@example.com\n", source="new.csv")
    report = import_subscribers(session, parsed, list_name="brand-new", dry_run=True)
    assert report.subscribed == report.new_subscribers == 1
    assert session.scalar(select(func.count()).select_from(MailingList)) == 0


def test_confirmed_import_activates_and_records_confirmation(session: Session) -> None:
    _known_people(session)
    data = b"email\npending@example.com\nnew@example.com\nunsub@example.com\n"
    parsed = read_subscriber_csv(data, source="ok.csv")
    report = import_subscribers(session, parsed, list_name="daily", confirmed=True)
    assert (report.status, report.subscribed, report.activated) == ("active", 1, 1)
    assert [(p.line, p.reason) for p in report.suppressed] == [
        (4, "suppressed: unsubscribed from daily")
    ]
    statuses = {row[0]: row[5] for row in _daily(session)}
    assert statuses["pending@example.com"] == "active"
    assert statuses["new@example.com"] == "active"
    assert statuses["unsub@example.com"] == "unsubscribed"
    new = find_subscriber(session, "new@example.com")
    assert new is not None
    kinds = session.scalars(
        select(SubscriberEvent.kind)
        .where(SubscriberEvent.subscriber_id == new.id)
        .order_by(SubscriberEvent.id)
    ).all()
    assert [k.value for k in kinds] == ["subscribed", "confirmed"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(session: Session) -> None:
    parsed = read_subscriber_csv(b"email,name\nreader@example.com,R\n", source="a.csv")
    first = import_subscribers(session, parsed, list_name="daily")
    second = import_subscribers(session, parsed, list_name="daily")
    assert (first.subscribed, first.unchanged) == (1, 0)
    assert (second.subscribed, second.unchanged) == (0, 1)
    assert session.scalar(select(func.count()).select_from(SubscriberEvent)) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email\nok@example.com\n\xff\xfe@example.com\n", "bad.csv:3: not UTF-8 text"),
        (b"mail,name\nx@example.com,X\n", "bad.csv:1: the header has no 'email' column"),
        (b"", "bad.csv: the file is empty"),
        (b"email,Email\nx@example.com,y\n", "bad.csv:1: column 'Email' appears twice"),
    ],
)
def test_unreadable_files_raise_naming_file_and_line(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_subscriber_csv(data, source="bad.csv")
    assert str(info.value).startswith(message)


def test_export_round_trip_and_formula_cells(session: Session) -> None:
    add_subscriber(
        session, email="a@example.com", list_name="daily", name="=HYPERLINK(1)", confirmed=True
    )
    add_subscriber(session, email="b@example.com", list_name="daily", language="en")
    erased = add_subscriber(session, email="c@example.com", list_name="daily", confirmed=True)
    assert erased.subscriber is not None
    erase_subscriber(session, email="c@example.com")
    parsed = read_subscriber_csv(b"email,city\nd@example.com,Example City\n", source="d.csv")
    import_subscribers(session, parsed, list_name="daily", confirmed=True)
    out = io.StringIO()
    count = export_subscribers(session, out, list_name="daily")
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == len(rows) == 3  # the erased person has no address to export
    assert list(rows[0]) == [*EXPORT_COLUMNS, "city"]
    by_email = {r["email"]: r for r in rows}
    assert by_email["a@example.com"]["name"] == "'=HYPERLINK(1)"
    assert by_email["b@example.com"]["status"] == "pending"
    assert by_email["d@example.com"]["city"] == "Example City"
    assert by_email["d@example.com"]["subscriber_status"] == "ok"

    # Only the active ones, imported into another list: the same people, nothing else.
    active = io.StringIO()
    export_subscribers(session, active, list_name="daily", status=parse_status("active"))
    again = read_subscriber_csv(active.getvalue().encode(), source="export.csv")
    report = import_subscribers(session, again, list_name="copy", confirmed=True)
    assert (report.rows, report.subscribed, report.new_subscribers) == (2, 2, 0)
    copied = session.scalars(
        select(Subscriber.email)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == get_list(session, "copy").id)
        .order_by(Subscriber.email)
    ).all()
    assert copied == ["a@example.com", "d@example.com"]
    person = find_subscriber(session, "d@example.com")
    assert person is not None
    assert person.attributes == {"city": "Example City"}  # export-only columns not kept


def test_parse_status_rejects_unknown_values() -> None:
    with pytest.raises(InputError, match="unknown status 'gone'"):
        parse_status("gone")

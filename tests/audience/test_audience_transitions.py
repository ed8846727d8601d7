"""Every status transition, its event, and the suppression rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from newsletter.audience import (
    add_subscriber,
    confirm_subscription,
    email_hash,
    erase_subscriber,
    find_subscriber,
    get_or_create_list,
    import_subscribers,
    is_mailable,
    read_subscriber_csv,
    request_subscription,
    unsubscribe,
)
from newsletter.errors import InputError, NotFoundError
from newsletter.feedback.suppression import record_bounce, record_complaint
from newsletter.models import (
    Delivery,
    Issue,
    MailingList,
    Subscriber,
    SubscriberEvent,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)

ADDR = "reader@example.com"
# The shapes of the conftest fixtures of the same names.
EventsOf = Callable[[int], list[tuple[str, str, int | None]]]
MakeIssue = Callable[[dt.date], Issue]


def _active(session: Session, email: str = ADDR, list_name: str = "daily") -> Subscription:
    result = add_subscriber(session, email=email, list_name=list_name, confirmed=True)
    assert result.outcome == "added"
    assert result.subscription is not None
    return result.subscription


def test_default_list_is_created_on_demand(session: Session) -> None:
    assert session.scalar(select(func.count()).select_from(MailingList)) == 0
    first = get_or_create_list(session, "daily")
    assert get_or_create_list(session, " daily ").id == first.id
    assert session.scalar(select(func.count()).select_from(MailingList)) == 1
    with pytest.raises(InputError, match="a list needs a name"):
        get_or_create_list(session, "  ")


def test_operator_add_without_confirmation_is_pending(
    session: Session, events_of: EventsOf
) -> None:
    result = add_subscriber(
        session, email=" Reader@EXAMPLE.com ", list_name="daily", name="读者", language="zh-CN"
    )
    assert result.outcome == "pending"
    assert result.subscriber is not None
    assert result.subscription is not None
    assert result.subscriber.email == "Reader@example.com"
    assert result.subscriber.email_hash == email_hash("reader@example.com")
    assert (result.subscriber.name, result.subscriber.language) == ("读者", "zh-CN")
    assert result.subscription.status is SubscriptionStatus.PENDING
    assert result.subscription.confirmed_at is None
    assert events_of(result.subscriber.id) == [("subscribed", "operator", None)]
    assert not is_mailable(
        session, subscriber_id=result.subscriber.id, list_id=result.subscription.list_id
    )


def test_operator_add_confirmed_is_active_and_mailable(
    session: Session, events_of: EventsOf
) -> None:
    sub = _active(session)
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.confirmed_at is not None
    assert events_of(sub.subscriber_id) == [
        ("subscribed", "operator", None),
        ("confirmed", "operator", None),
    ]
    assert is_mailable(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id)


def test_adding_again_in_any_case_is_the_same_person(session: Session, events_of: EventsOf) -> None:
    sub = _active(session)
    again = add_subscriber(session, email="READER@example.COM", list_name="daily", confirmed=True)
    assert again.outcome == "already"
    assert again.subscriber is not None
    assert again.subscriber.id == sub.subscriber_id
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 1
    assert len(events_of(sub.subscriber_id)) == 2  # nothing recorded for a no-op


def test_add_fills_empty_fields_but_never_overwrites(session: Session) -> None:
    add_subscriber(session, email=ADDR, list_name="daily", name="First")
    result = add_subscriber(session, email=ADDR, list_name="daily", name="Second", language="en")
    assert result.subscriber is not None
    assert (result.subscriber.name, result.subscriber.language) == ("First", "en")


def test_one_person_many_lists(session: Session) -> None:
    daily = _active(session, list_name="daily")
    weekly = add_subscriber(session, email=ADDR, list_name="weekly")
    assert weekly.outcome == "pending"
    assert weekly.subscriber is not None
    assert weekly.subscriber.id == daily.subscriber_id
    assert weekly.subscription is not None
    assert weekly.subscription.list_id != daily.list_id


def test_operator_confirmed_add_activates_a_pending_subscription(
    session: Session, events_of: EventsOf
) -> None:
    add_subscriber(session, email=ADDR, list_name="daily")
    result = add_subscriber(session, email=ADDR, list_name="daily", confirmed=True)
    assert result.outcome == "added"
    assert result.subscription is not None
    assert result.subscription.status is SubscriptionStatus.ACTIVE
    assert [e[0] for e in events_of(result.subscription.subscriber_id)] == [
        "subscribed",
        "confirmed",
    ]


def test_bad_input_raises_and_writes_nothing(session: Session) -> None:
    with pytest.raises(InputError, match="invalid address"):
        add_subscriber(session, email="not-an-address", list_name="daily")
    with pytest.raises(InputError, match="name longer than 200"):
        add_subscriber(session, email=ADDR, list_name="daily", name="x" * 201)
    with pytest.raises(InputError, match="not a language tag"):
        add_subscriber(session, email=ADDR, list_name="daily", language="zh CN")
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_confirm_pending_to_active_is_idempotent(session: Session, events_of: EventsOf) -> None:
    result = request_subscription(session, email=ADDR, list_name="daily", name="R")
    assert result.outcome == "pending"
    assert result.subscriber is not None
    assert result.subscription is not None
    ids = {"subscriber_id": result.subscriber.id, "list_id": result.subscription.list_id}
    assert confirm_subscription(session, **ids) is True
    assert result.subscription.status is SubscriptionStatus.ACTIVE
    assert result.subscription.confirmed_at is not None
    assert confirm_subscription(session, **ids) is False
    assert events_of(result.subscriber.id) == [
        ("subscribed", "form", None),
        ("confirmed", "link", None),
    ]
    assert is_mailable(session, **ids)
    assert confirm_subscription(session, subscriber_id=999, list_id=ids["list_id"]) is False


def test_confirm_after_unsubscribe_does_not_resubscribe(session: Session) -> None:
    result = request_subscription(session, email=ADDR, list_name="daily")
    assert result.subscriber is not None
    assert result.subscription is not None
    ids = {"subscriber_id": result.subscriber.id, "list_id": result.subscription.list_id}
    assert unsubscribe(
        session, subscriber_id=ids["subscriber_id"], list_id=ids["list_id"], method="link"
    )
    assert confirm_subscription(session, **ids) is False
    assert result.subscription.status is SubscriptionStatus.UNSUBSCRIBED


def test_unsubscribe_one_list_records_method_and_issue(
    session: Session, events_of: EventsOf, make_issue: MakeIssue
) -> None:
    issue = make_issue(dt.date(2025, 8, 14))
    daily = _active(session, list_name="daily")
    weekly = _active(session, list_name="weekly")
    assert unsubscribe(
        session,
        subscriber_id=daily.subscriber_id,
        list_id=daily.list_id,
        method="one-click",
        issue_id=issue.id,
    )
    assert daily.status is SubscriptionStatus.UNSUBSCRIBED
    assert daily.unsubscribed_at is not None
    assert weekly.status is SubscriptionStatus.ACTIVE
    # A replayed one-click POST changes nothing and records nothing.
    assert not unsubscribe(
        session,
        subscriber_id=daily.subscriber_id,
        list_id=daily.list_id,
        method="one-click",
        issue_id=issue.id,
    )
    events = events_of(daily.subscriber_id)
    assert events.count(("unsubscribed", "one-click", issue.id)) == 1
    assert not is_mailable(session, subscriber_id=daily.subscriber_id, list_id=daily.list_id)
    assert is_mailable(session, subscriber_id=weekly.subscriber_id, list_id=weekly.list_id)


def test_unsubscribe_from_every_list_includes_pending(
    session: Session, events_of: EventsOf
) -> None:
    daily = _active(session, list_name="daily")
    weekly = add_subscriber(session, email=ADDR, list_name="weekly").subscription
    assert weekly is not None
    assert weekly.status is SubscriptionStatus.PENDING
    assert unsubscribe(session, subscriber_id=daily.subscriber_id, list_id=None, method="link")
    assert [daily.status, weekly.status] == [SubscriptionStatus.UNSUBSCRIBED] * 2
    unsubscribed = [e for e in events_of(daily.subscriber_id) if e[0] == "unsubscribed"]
    assert unsubscribed == [("unsubscribed", "link", None)] * 2


def test_unsubscribe_link_of_a_deleted_issue_still_works(
    session: Session, events_of: EventsOf
) -> None:
    sub = _active(session)
    assert unsubscribe(
        session, subscriber_id=sub.subscriber_id, list_id=sub.list_id, method="link", issue_id=404
    )
    assert events_of(sub.subscriber_id)[-1] == ("unsubscribed", "link", None)


def test_unknown_unsubscribe_method_is_refused(session: Session) -> None:
    sub = _active(session)
    with pytest.raises(ValueError, match="unknown unsubscribe method"):
        unsubscribe(session, subscriber_id=sub.subscriber_id, list_id=None, method="scanner")


def test_operator_never_reactivates_an_unsubscribed_address(session: Session) -> None:
    sub = _active(session)
    unsubscribe(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id, method="link")
    for confirmed in (False, True):
        result = add_subscriber(session, email=ADDR, list_name="daily", confirmed=confirmed)
        assert result.outcome == "suppressed"
        assert result.subscription is not None
        assert result.subscription.status is SubscriptionStatus.UNSUBSCRIBED
    # Another list is another consent: that one can be added.
    assert add_subscriber(session, email=ADDR, list_name="weekly").outcome == "pending"


def test_own_signup_after_unsubscribe_needs_a_fresh_opt_in(
    session: Session, events_of: EventsOf
) -> None:
    sub = _active(session)
    unsubscribe(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id, method="link")
    result = request_subscription(session, email="Reader@example.com", list_name="daily")
    assert result.outcome == "reactivated_pending"
    assert result.subscription is not None
    assert result.subscription.status is SubscriptionStatus.PENDING
    assert result.subscription.confirmed_at is None
    assert not is_mailable(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id)
    assert events_of(sub.subscriber_id)[-1] == ("subscribed", "form", None)
    assert confirm_subscription(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id)
    assert is_mailable(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id)


def test_own_signup_when_pending_or_active_changes_nothing(
    session: Session, events_of: EventsOf
) -> None:
    first = request_subscription(session, email=ADDR, list_name="daily")
    again = request_subscription(session, email=ADDR, list_name="daily")
    assert again.outcome == "already"
    assert again.subscription is not None
    assert again.subscription.status is SubscriptionStatus.PENDING
    assert first.subscriber is not None
    assert len(events_of(first.subscriber.id)) == 1


def test_hard_bounce_suppresses_everywhere(session: Session, events_of: EventsOf) -> None:
    sub = _active(session)
    weekly = _active(session, list_name="weekly")
    assert record_bounce(
        session, email="READER@example.com", permanent=True, detail="5.1.1 unknown", soft_limit=3
    )
    subscriber = session.get(Subscriber, sub.subscriber_id)
    assert subscriber is not None
    assert subscriber.status is SubscriberStatus.BOUNCED
    assert not is_mailable(session, subscriber_id=sub.subscriber_id, list_id=sub.list_id)
    assert not is_mailable(session, subscriber_id=sub.subscriber_id, list_id=weekly.list_id)
    assert session.get(Suppression, subscriber.email_hash) is not None
    assert events_of(sub.subscriber_id)[-1] == ("bounced", "bounce", None)
    # Replays are harmless; the subscriptions keep their own state (history).
    assert not record_bounce(session, email=ADDR, permanent=True, detail="again", soft_limit=3)
    assert sub.status is SubscriptionStatus.ACTIVE
    for add in (
        add_subscriber(session, email=ADDR, list_name="other", confirmed=True),
        request_subscription(session, email=ADDR, list_name="other"),
    ):
        assert add.outcome == "suppressed"


def test_soft_bounces_count_up_to_the_limit(session: Session, events_of: EventsOf) -> None:
    sub = _active(session)
    subscriber = session.get(Subscriber, sub.subscriber_id)
    assert subscriber is not None
    for n in (1, 2):
        assert record_bounce(session, email=ADDR, permanent=False, detail="full", soft_limit=3)
        assert subscriber.soft_bounces == n
        assert subscriber.status is SubscriberStatus.OK
    assert record_bounce(session, email=ADDR, permanent=False, detail="full", soft_limit=3)
    assert subscriber.soft_bounces == 3
    assert subscriber.status is SubscriberStatus.BOUNCED
    kinds = [e[0] for e in events_of(sub.subscriber_id)]
    assert kinds[2:] == ["soft_bounced", "soft_bounced", "soft_bounced", "bounced"]
    assert not record_bounce(session, email=ADDR, permanent=False, detail="full", soft_limit=3)
    assert subscriber.soft_bounces == 3


def test_complaint_unsubscribes_everywhere_with_method_complaint(
    session: Session, events_of: EventsOf, make_issue: MakeIssue
) -> None:
    issue = make_issue(dt.date(2026, 1, 20))
    daily = _active(session, list_name="daily")
    weekly = _active(session, list_name="weekly")
    assert record_complaint(session, email=ADDR, detail="abuse", issue_id=issue.id)
    subscriber = session.get(Subscriber, daily.subscriber_id)
    assert subscriber is not None
    assert subscriber.status is SubscriberStatus.COMPLAINED
    assert daily.status is weekly.status is SubscriptionStatus.UNSUBSCRIBED
    events = events_of(daily.subscriber_id)[4:]
    assert events == [
        ("complained", "complaint", issue.id),
        ("unsubscribed", "complaint", issue.id),
        ("unsubscribed", "complaint", issue.id),
    ]
    assert not record_complaint(session, email=ADDR, detail="abuse", issue_id=issue.id)
    assert len(events_of(daily.subscriber_id)) == 7
    suppression = session.get(Suppression, email_hash(ADDR))
    assert suppression is not None
    assert suppression.reason == "complained"
    assert request_subscription(session, email=ADDR, list_name="daily").outcome == "suppressed"


def test_complaint_after_bounce_is_recorded(session: Session) -> None:
    _active(session)
    record_bounce(session, email=ADDR, permanent=True, detail="gone", soft_limit=3)
    assert record_complaint(session, email=ADDR, detail="abuse")
    assert not record_bounce(session, email=ADDR, permanent=True, detail="gone", soft_limit=3)
    suppression = session.get(Suppression, email_hash(ADDR))
    assert suppression is not None
    assert suppression.reason == "complained"


def test_feedback_about_strangers_suppresses_the_hash(session: Session) -> None:
    stranger = "stranger@example.org"
    assert not record_bounce(session, email=stranger, permanent=False, detail="", soft_limit=3)
    assert session.get(Suppression, email_hash(stranger)) is None
    assert record_bounce(session, email=stranger, permanent=True, detail="", soft_limit=3)
    assert not record_bounce(session, email=stranger, permanent=True, detail="", soft_limit=3)
    assert record_complaint(session, email="other@example.org", detail="")
    assert add_subscriber(session, email=stranger, list_name="daily").outcome == "suppressed"
    result = add_subscriber(session, email="OTHER@example.org", list_name="daily")
    assert result.outcome == "suppressed"
    assert result.subscriber is None
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 0


def test_feedback_with_an_unusable_address_changes_nothing(session: Session) -> None:
    assert not record_bounce(session, email="<>", permanent=True, detail="", soft_limit=3)
    assert not record_complaint(session, email="", detail="")
    assert session.scalar(select(func.count()).select_from(Suppression)) == 0


def test_erasure_keeps_only_the_hash(
    session: Session, events_of: EventsOf, make_issue: MakeIssue
) -> None:
    issue = make_issue(dt.date(2026, 1, 20))
    sub = _active(session)
    subscriber = session.get(Subscriber, sub.subscriber_id)
    assert subscriber is not None
    subscriber.name, subscriber.attributes = "Reader", {"city": "Example City"}
    record_bounce(session, email=ADDR, permanent=False, detail=f"4.2.2 <{ADDR}> full", soft_limit=3)
    session.add(
        Delivery(
            issue_id=issue.id,
            subscriber_id=sub.subscriber_id,
            list_id=sub.list_id,
            error=f"550 <{ADDR}> unknown",
        )
    )
    session.commit()

    assert erase_subscriber(session, email="Reader@Example.com")
    session.commit()
    session.expire_all()
    subscriber = session.get(Subscriber, sub.subscriber_id)
    assert subscriber is not None
    assert (subscriber.email, subscriber.name, subscriber.language) == (None, "", "")
    assert subscriber.attributes == {}
    assert subscriber.status is SubscriberStatus.ERASED
    assert subscriber.email_hash == email_hash(ADDR)
    assert sub.status is SubscriptionStatus.UNSUBSCRIBED
    # History stays, but no free text that could quote the address.
    kinds = [e[0] for e in events_of(sub.subscriber_id)]
    assert kinds == ["subscribed", "confirmed", "soft_bounced", "unsubscribed", "erased"]
    details = session.scalars(
        select(SubscriberEvent.detail).where(SubscriberEvent.subscriber_id == sub.subscriber_id)
    )
    assert all(ADDR not in d for d in details)
    assert session.scalar(select(Delivery.error)) == ""
    assert session.scalars(select(Suppression.reason)).all() == ["erased"]
    assert not erase_subscriber(session, email=ADDR)  # twice: nothing more to do
    found = find_subscriber(session, "READER@example.com")
    assert found is not None
    assert found.id == sub.subscriber_id


def test_erased_address_stays_suppressed_everywhere(session: Session) -> None:
    _active(session)
    erase_subscriber(session, email=ADDR)
    assert add_subscriber(session, email=ADDR, list_name="daily", confirmed=True).outcome == (
        "suppressed"
    )
    assert request_subscription(session, email=ADDR, list_name="weekly").outcome == "suppressed"
    parsed = read_subscriber_csv(b"email\nREADER@example.com\n", source="back.csv")
    report = import_subscribers(session, parsed, list_name="daily", confirmed=True)
    assert [(p.line, p.reason) for p in report.suppressed] == [(2, "suppressed: erased")]
    assert report.subscribed == 0
    assert session.scalar(select(func.count()).select_from(Subscriber)) == 1


def test_erasing_an_unknown_address_is_not_found(session: Session) -> None:
    with pytest.raises(NotFoundError):
        erase_subscriber(session, email="nobody@example.com")


def test_state_survives_commit_on_both_databases(session: Session) -> None:
    sub = _active(session)
    unsubscribe(session, subscriber_id=sub.subscriber_id, list_id=None, method="operator")
    session.commit()
    session.expire_all()
    stored = session.scalar(select(Subscription))
    assert stored is not None
    assert stored.status is SubscriptionStatus.UNSUBSCRIBED
    assert stored.unsubscribed_at is not None

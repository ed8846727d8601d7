"""The per-recipient message of an issue: exactly the personalized rendering, encoded."""

from __future__ import annotations

import pytest

from newsletter.errors import InputError
from newsletter.render import RenderedEmail, personalize
from newsletter.sending.ledger import Job
from newsletter.sending.personal import IssueMailer, tag_value
from newsletter.settings import Settings
from tests.support.mail import parse

SETTINGS = Settings(
    base_url="https://news.example.com",
    sender="AI 日报 <news@example.com>",
    secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    reply_to="Editors <editors@example.com>",
    unsubscribe_mailto="unsubscribe@example.com",
)


@pytest.mark.parametrize(
    "name",
    ["", "Reader One", "读者二", "A & B <c> \"d\" 'e'", "x\x1fy\r\nBcc: z@example.org", "名" * 200],
)
def test_message_is_the_personalized_rendering(sample_rendering: RenderedEmail, name: str) -> None:
    mailer = IssueMailer(
        SETTINGS,
        rendered=sample_rendering,
        issue_id=7,
        issue_date="2025-08-14",
        list_id=3,
        list_name="daily",
    )
    message = mailer.message(Job(11, 42, "reader@example.com", name))
    url = mailer.unsubscribe_url(42)
    expected = personalize(
        sample_rendering,
        unsubscribe_url=url,
        name=name,
        preferences_url=mailer.preferences_url(42),
    )
    msg = parse(message.raw)
    html, text = msg.get_body(("html",)), msg.get_body(("plain",))
    assert html is not None
    assert text is not None
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert html.get_content().replace("\r\n", "\n") == expected.html.replace("\r\n", "\n")
    assert text.get_content().replace("\r\n", "\n") == expected.text.replace("\r\n", "\n")
    assert str(msg["Subject"]) == sample_rendering.subject
    assert msg["List-Unsubscribe"] == (
        f"<{url}>, <mailto:unsubscribe@example.com?subject=unsubscribe>"
    )
    assert msg["List-Id"] == "AI 日报 <daily.example.com>"
    assert str(msg["Reply-To"]) == "Editors <editors@example.com>"
    # The row's own tag, for SES events to name it (reconciling uncertain rows).
    assert message.tags == (("issue", "2025-08-14"), ("list", "daily"), ("delivery", "11"))
    assert max(len(line) for line in message.raw.split(b"\r\n")) <= 998
    # The same (issue, subscriber) always gets the same Message-ID.
    again = parse(mailer.message(Job(11, 42, "reader@example.com", name)).raw)
    assert again["Message-ID"] == msg["Message-ID"]


def test_international_domain_goes_out_in_idna(sample_rendering: RenderedEmail) -> None:
    mailer = IssueMailer(
        SETTINGS,
        rendered=sample_rendering,
        issue_id=1,
        issue_date="2025-08-14",
        list_id=1,
        list_name="daily",
    )
    message = mailer.message(Job(1, 1, "reader@bücher.example", "R"))
    assert message.recipients == ("reader@xn--bcher-kva.example",)
    with pytest.raises(InputError):
        mailer.message(Job(2, 2, "读者@example.com", "R"))


def test_tag_value() -> None:
    assert tag_value("2025-08-14") == "2025-08-14"
    assert tag_value("AI 日报") == "AI"
    assert tag_value("日报") == "none"

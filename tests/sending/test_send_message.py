"""The MIME message, parsed back with the standard library."""

from __future__ import annotations

import datetime as dt
import quopri
import re
from email.header import decode_header, make_header

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsletter.errors import InputError
from newsletter.message import (
    MessageBuilder,
    QuotedPrintableTemplate,
    Recipient,
    build_message,
    deterministic_message_id,
    list_id_value,
)
from tests.support.mail import parse

HTML = "<html><body><p>你好，读者！</p><a href='https://news.example.com/u/TOKEN'>退订</a></body></html>"
TEXT = "你好，读者！\n退订: https://news.example.com/u/TOKEN\n"


def builder(**kw: object) -> MessageBuilder:
    args: dict[str, object] = {
        "sender": "AI 日报 <news@example.com>",
        "subject": "AI科技日报-2025-08-14：OpenAI 发布 GPT-5，谷歌 Gemini 更新，以及更多新闻",
        "reply_to": "Editors <editors@example.com>",
        "list_id": "daily.example.com",
        "list_name": "AI 日报",
    }
    args.update(kw)
    return MessageBuilder(**args)  # type: ignore[arg-type]


def test_headers_and_parts_parse_back() -> None:
    raw = builder(unsubscribe_mailto="unsubscribe@example.com").build(
        to=Recipient("reader2@example.com", "读者二"),
        html=HTML,
        text=TEXT,
        unsubscribe_url="https://news.example.com/unsubscribe/TOKEN-2",
        message_id="<abc@example.com>",
        date=dt.datetime(2025, 8, 14, 6, 0, tzinfo=dt.UTC),
    )
    assert raw.isascii(), "headers are RFC 2047 encoded, bodies transfer-encoded"
    assert b"\r\n" in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse(raw)
    assert msg.defects == []
    assert str(msg["From"]) == "AI 日报 <news@example.com>"
    assert msg["To"].addresses[0].display_name == "读者二"
    assert msg["To"].addresses[0].addr_spec == "reader2@example.com"
    assert str(msg["Reply-To"]) == "Editors <editors@example.com>"
    assert str(msg["Subject"]).startswith("AI科技日报-2025-08-14：OpenAI 发布 GPT-5")
    assert str(msg["Subject"]).endswith("以及更多新闻")
    assert msg["Date"].datetime == dt.datetime(2025, 8, 14, 6, 0, tzinfo=dt.UTC)
    assert msg["Message-ID"] == "<abc@example.com>"
    assert msg["List-Id"] == "AI 日报 <daily.example.com>"
    assert msg["List-Unsubscribe"] == (
        "<https://news.example.com/unsubscribe/TOKEN-2>, "
        "<mailto:unsubscribe@example.com?subject=unsubscribe>"
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "multipart/alternative"
    text, html = list(msg.iter_parts())
    assert text.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert text.get_content_charset() == "utf-8"
    assert html.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML
    assert all(p.defects == [] for p in (text, html))


def test_every_header_line_is_short_enough() -> None:
    raw = builder().build(
        to=Recipient("reader@example.com", "很长的名字" * 12),
        html=HTML,
        text=TEXT,
        unsubscribe_url="https://news.example.com/unsubscribe/" + "t" * 60,
    )
    head = raw.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        assert len(line) <= 998
        if not line.startswith(b"List-Unsubscribe:"):
            assert len(line) <= 100, line


def test_long_name_folds_and_decodes_whole() -> None:
    raw = builder().build(
        to=Recipient("reader@example.com", "很长的名字" * 12), html=HTML, text=TEXT
    )
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    to_field = head.split("\r\nTo: ", 1)[1].split("\r\nDate:", 1)[0]
    assert "\r\n " in to_field, "folded over several lines"
    decoded = str(make_header(decode_header(to_field.replace("\r\n", ""))))
    assert decoded == "很长的名字" * 12 + " <reader@example.com>"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ann O'Neil", "Ann O'Neil"),
        ('Ann "Q" Example, Jr.', 'Ann "Q" Example, Jr.'),
        ("Reader <evil@example.org>", "Reader <evil@example.org>"),
        ("", ""),
    ],
)
def test_ascii_names_are_quoted_not_interpreted(name: str, expected: str) -> None:
    raw = builder().build(to=Recipient("reader@example.com", name), html=HTML, text=TEXT)
    to = parse(raw)["To"]
    assert len(to.addresses) == 1
    assert to.addresses[0].addr_spec == "reader@example.com"
    assert to.addresses[0].display_name == expected


@pytest.mark.parametrize(
    "field",
    ["name", "subject", "address", "unsubscribe_url"],
)
def test_line_breaks_are_refused_not_injected(field: str) -> None:
    evil = "x\r\nBcc: victim@example.org"

    def attempt() -> None:
        if field == "subject":
            builder(subject=evil)
        elif field == "name":
            builder().build(to=Recipient("reader@example.com", evil), html=HTML, text=TEXT)
        elif field == "address":
            builder().build(to=Recipient(evil, ""), html=HTML, text=TEXT)
        else:
            builder().build(
                to=Recipient("reader@example.com", ""), html=HTML, text=TEXT, unsubscribe_url=evil
            )

    with pytest.raises(InputError):
        attempt()


def test_ascii_bodies_stay_readable_and_long_lines_are_quoted_printable() -> None:
    long_line = "<td style='color:#333'>" + "x" * 1200 + "</td>"
    raw = build_message(
        sender="News <news@example.com>",
        to=Recipient("reader@example.com"),
        subject="Plain subject",
        html=long_line,
        text="Hello reader\nsecond line",
    )
    msg = parse(raw)
    text, html = list(msg.iter_parts())
    assert text["Content-Transfer-Encoding"] == "7bit"
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert text.get_content().replace("\r\n", "\n").rstrip("\n") == "Hello reader\nsecond line"
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == long_line
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert str(msg["Subject"]) == "Plain subject"
    # Without an unsubscribe URL (a confirmation email) there are no one-click headers.
    assert msg["List-Unsubscribe"] is None
    assert msg["List-Unsubscribe-Post"] is None
    assert msg["List-Id"] is None


def test_http_unsubscribe_link_gets_no_one_click_header() -> None:
    raw = builder().build(
        to=Recipient("reader@example.com"),
        html=HTML,
        text=TEXT,
        unsubscribe_url="http://127.0.0.1:8000/unsubscribe/T",
    )
    msg = parse(raw)
    assert msg["List-Unsubscribe"] == "<http://127.0.0.1:8000/unsubscribe/T>"
    assert msg["List-Unsubscribe-Post"] is None


def test_message_ids() -> None:
    a = deterministic_message_id(key="newsletter:1:2", sender_address="news@example.com")
    assert a == deterministic_message_id(key="newsletter:1:2", sender_address="news@example.com")
    assert a != deterministic_message_id(key="newsletter:1:3", sender_address="news@example.com")
    assert a.startswith("<")
    assert a.endswith("@example.com>")
    m1 = parse(builder().build(to=Recipient("a@example.com"), html=HTML, text=TEXT))
    m2 = parse(builder().build(to=Recipient("a@example.com"), html=HTML, text=TEXT))
    assert m1["Message-ID"] != m2["Message-ID"]


def test_list_id_value() -> None:
    assert (
        list_id_value(list_name="daily", sender_address="news@Example.com") == "daily.example.com"
    )
    assert list_id_value(list_name="AI 日报!", sender_address="n@example.com") == "ai.example.com"
    assert list_id_value(list_name="日报", sender_address="n@example.com") == "list.example.com"
    with pytest.raises(InputError):
        builder(list_id="not a dot atom")


def test_bad_sender_is_refused() -> None:
    with pytest.raises(InputError, match="NEWSLETTER_SENDER"):
        builder(sender="nobody")


def _decoded_lines_ok(data: bytes) -> None:
    for line in data.split(b"\r\n"):
        assert len(line) <= 76, line
        assert line.isascii()


@given(
    text=st.text(alphabet=st.characters(codec="utf-8"), max_size=400),
    values=st.lists(st.text(max_size=90), min_size=2, max_size=2),
)
@example(text="", values=["\r", "\n"])  # a value's CR, the next value's LF
@example(text="\n\r", values=["", ""])  # a fixed part's CR, the next fixed part's LF
@settings(max_examples=300, deadline=None)
def test_quoted_printable_template_decodes_to_the_substituted_text(
    text: str, values: list[str]
) -> None:
    marks = ("__A_MARK__", "__B_MARK__")
    template_text = f"{text}{marks[0]}{text[:50]}{marks[1]}{marks[0]} ={text[-7:]}"
    template = QuotedPrintableTemplate(template_text, marks)
    body = template.fill(dict(zip(marks, values, strict=True)))
    _decoded_lines_ok(body.data)
    # Line breaks are each piece's own (a fixed part, a value): a CR ending one piece and an
    # LF starting the next are two breaks, as they are two strings.
    value_of = dict(zip(marks, values, strict=True))
    pieces = re.split(f"({marks[0]}|{marks[1]})", template_text)
    expected = "".join(_line_breaks(value_of.get(p, p)) for p in pieces)
    assert quopri.decodestring(body.data).decode("utf-8").replace("\r\n", "\n") == expected


def _line_breaks(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_long_lines_and_escapes_at_piece_ends() -> None:
    for n in range(70, 80):
        for tail in ("", "é", "==", " ", "\t"):
            text = "x" * n + tail
            template = QuotedPrintableTemplate(text + "@@" + text, ("@@",))
            body = template.fill({"@@": "ü" * 30})
            _decoded_lines_ok(body.data)
            decoded = quopri.decodestring(body.data).decode("utf-8")
            assert decoded == text + "ü" * 30 + text


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_to_without_a_name_is_the_bare_address(name: str) -> None:
    raw = builder().build(to=Recipient("reader@example.com", name), html=HTML, text=TEXT)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nTo: reader@example.com\r\n" in head
    assert b'""' not in head


def test_list_headers_in_order_with_feedback_id() -> None:
    raw = builder(
        unsubscribe_mailto="unsubscribe@example.com",
        feedback_id="issue:daily:2025-08-14:example-com",
    ).build(
        to=Recipient("reader@example.com", "Reader"),
        html=HTML,
        text=TEXT,
        unsubscribe_url="https://news.example.com/unsubscribe/TOKEN",
    )
    msg = parse(raw)
    names = [name for name, _ in msg.items()]
    assert names.index("List-Id") < names.index("List-Unsubscribe")
    # Gmail shows no unsubscribe button when List-Unsubscribe-Post comes first.
    assert names.index("List-Unsubscribe") + 1 == names.index("List-Unsubscribe-Post")
    assert msg["Feedback-ID"] == "issue:daily:2025-08-14:example-com"
    assert names.count("Feedback-ID") == 1


@pytest.mark.parametrize("value", ["has space:a:b", "a:b:c:d:e", "UPPER:x", "a\r\nBcc: x"])
def test_a_malformed_feedback_id_is_refused(value: str) -> None:
    with pytest.raises(InputError, match="Feedback-ID"):
        builder(feedback_id=value)


def test_feedback_id_value_is_safe() -> None:
    from newsletter.message import feedback_id_value

    value = feedback_id_value(
        campaign="issue",
        list_name="Daily: AI",
        issue_date="2025-08-14",
        sender_address="news@Example.COM",
    )
    assert value == "issue:daily-ai:2025-08-14:example-com"
    builder(feedback_id=value)  # accepted

"""The per-message shortcuts give exactly what the standard library would."""

from __future__ import annotations

import datetime as dt
import email
import uuid
from email.utils import parsedate_to_datetime

from newsletter.message import MessageBuilder, Recipient, _encode_body, uuid5_hex


def test_uuid5_hex_equals_uuid5() -> None:
    for key in ["", "newsletter:1:2", "newsletter:123456:987654321", "日报:é", "x" * 300]:
        assert uuid5_hex(key) == uuid.uuid5(uuid.NAMESPACE_URL, key).hex


def test_date_header_is_now_to_the_second() -> None:
    builder = MessageBuilder(sender="News <news@example.com>", subject="Hello")
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    raws = [builder.build(to=Recipient("a@example.com"), html="<p>x</p>", text="x") for _ in "ab"]
    after = dt.datetime.now(dt.UTC)
    for raw in raws:
        date = parsedate_to_datetime(email.message_from_bytes(raw)["Date"])
        assert before <= date <= after


def test_encode_body_normalizes_line_ends() -> None:
    assert (
        _encode_body("a\r\nb\rc\nd") == _encode_body("a\nb\nc\nd") == ("7bit", b"a\r\nb\r\nc\r\nd")
    )
    cte, body = _encode_body("日\r\n报\r")
    assert cte == "base64"
    assert _encode_body("日\n报\n") == (cte, body)

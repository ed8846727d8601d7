"""MIME building: one multipart/alternative message (text and HTML, UTF-8) per recipient.

The headers are RFC 5322 with RFC 2047 encoded words for non-ASCII subjects and names, CRLF
line ends, and the bulk-mail headers mailbox providers ask for: ``List-Id`` (RFC 2919),
``List-Unsubscribe`` with the recipient's own https link (plus a mailto when configured) and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058).

:class:`MessageBuilder` encodes everything that is the same for every recipient once per
issue; :meth:`MessageBuilder.build` then only adds the recipient's headers and encodes the
two personalized bodies (base64 for non-ASCII text, 7bit or quoted-printable for ASCII),
which is what makes building a message per recipient cheap.
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import itertools
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime, parseaddr

from newsletter.errors import InputError
from newsletter.text import breaks_lines, clean_line

#: RFC 5322 line limit (without CRLF); longer lines must be encoded.
MAX_LINE = 998
_BASE64_LINE = 76
#: Cuts base64 into lines of 76 (the last one shorter) in one C-level pass.
_BASE64_LINES = re.compile(rb".{1,%d}" % _BASE64_LINE, re.DOTALL)
_SLUG = re.compile(r"[^a-z0-9-]+")
#: RFC 5322 atext words separated by single spaces: a phrase that needs no quoting.
_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def _check_header_value(value: str, *, field: str) -> str:
    if breaks_lines(value):
        raise InputError(f"{field} must be one line (it contains a line break)")
    return value


def _is_ascii(text: str) -> bool:
    return text.isascii()


def encode_text_header(name: str, value: str) -> str:
    """``Name: value`` with RFC 2047 encoding and folding when needed (no trailing CRLF)."""
    _check_header_value(value, field=name)
    if _is_ascii(value) and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}"
    charset = "us-ascii" if _is_ascii(value) else "utf-8"
    encoded = Header(value, charset, header_name=name).encode(linesep="\r\n")
    return f"{name}: {encoded}"


def encode_phrase(text: str, *, header: str) -> str:
    """A display name: as is when it is plain ASCII words, quoted with specials, else RFC 2047."""
    _check_header_value(text, field=header)
    text = clean_line(text)
    if not text:
        return ""
    if not _is_ascii(text):
        return Header(text, "utf-8", header_name=header).encode(linesep="\r\n")
    if _ATOMS.fullmatch(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def encode_address(name: str, address: str, *, header: str) -> str:
    """A mailbox ``display name <address>``; a non-ASCII name becomes encoded words.

    With no name (or only spaces) it is the bare address, never ``"" <address>``.
    """
    _check_header_value(address, field=header)
    if "@" not in address or not address.isascii() or any(c in address for c in '<>" ,;'):
        raise InputError(f"{header}: not an email address: {address!r}")
    phrase = encode_phrase(name, header=header)
    return f"{phrase} <{address}>" if phrase else address


def split_address(value: str, *, field: str) -> tuple[str, str]:
    """``"Name <a@example.com>"`` into (name, address); :class:`InputError` when invalid."""
    _check_header_value(value, field=field)
    name, address = parseaddr(value)
    if "@" not in address:
        raise InputError(f"{field}: not an email address: {value!r}")
    return name, address


def list_id_value(*, list_name: str, sender_address: str) -> str:
    """A List-Id dot-atom from the list name and the sender's domain, e.g. ``daily.example.com``."""
    domain = sender_address.rpartition("@")[2].lower()
    label = _SLUG.sub("-", list_name.lower()).strip("-") or "list"
    return f"{label}.{domain}"


def feedback_id_value(
    *, campaign: str, list_name: str, issue_date: str, sender_address: str
) -> str:
    """A ``Feedback-ID`` for the complaint feedback loops of Gmail and SES.

    Gmail's form is ``a:b:c:SenderId``: here ``campaign:list:issue-date:sender``, e.g.
    ``issue:daily:2025-08-14:example-com``, so complaint reports group by list and issue.
    Each field is reduced to lowercase letters, digits and hyphens (no colon can slip in).
    """
    domain = sender_address.rpartition("@")[2].lower()
    fields = (campaign, list_name, issue_date, domain.replace(".", "-"))
    return ":".join(_SLUG.sub("-", f.lower()).strip("-") or "none" for f in fields)


def deterministic_message_id(*, key: str, sender_address: str) -> str:
    """A Message-ID (with brackets) that is the same every time for ``key``.

    Sending the same (issue, subscriber) message again, after an uncertain crash, reuses the
    Message-ID, so mail clients that de-duplicate by Message-ID show it once.
    """
    domain = sender_address.rpartition("@")[2] or "localhost"
    return f"<{uuid5_hex(key)}@{domain}>"


_URL_NAMESPACE = uuid.NAMESPACE_URL.bytes


def uuid5_hex(name: str) -> str:
    """``uuid.uuid5(uuid.NAMESPACE_URL, name).hex``, without building a UUID object.

    The same RFC 4122 steps: SHA-1 of namespace and name, first 16 bytes, version 5 in the
    high nibble of byte 6, the variant bits 10 in byte 8 (the tests compare with uuid5).
    """
    digest = bytearray(hashlib.sha1(_URL_NAMESPACE + name.encode("utf-8")).digest()[:16])  # noqa: S324
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()


def random_message_id(*, sender_address: str) -> str:
    """A fresh Message-ID (with brackets) on the sender's domain."""
    domain = sender_address.rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}@{domain}>"


def _encode_body(text: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, CRLF body) for one text part."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    data = text.encode("utf-8")
    if data.isascii():
        lines = data.split(b"\n")
        if max((len(line) for line in lines), default=0) <= MAX_LINE:
            return "7bit", b"\r\n".join(lines)
        qp = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
        return "quoted-printable", qp.replace(b"\n", b"\r\n")
    # MIME's canonical form of text has CRLF line breaks, also inside base64 (RFC 2045 6.8).
    encoded = binascii.b2a_base64(data.replace(b"\n", b"\r\n"), newline=False)
    return "base64", b"\r\n".join(_BASE64_LINES.findall(encoded))


_QP_LINE = 76


@dataclass(frozen=True, slots=True)
class EncodedBody:
    """A body part already transfer-encoded: its Content-Transfer-Encoding and CRLF bytes."""

    cte: str
    data: bytes


@dataclass(frozen=True, slots=True)
class EncodedPieces:
    """A body part already transfer-encoded, as pieces to be joined into the message.

    The same as :class:`EncodedBody` with ``data = b"".join(pieces)``; the message is joined
    once instead of the part first and then the message.
    """

    cte: str
    pieces: tuple[bytes, ...]


def _qp_piece(text: str) -> bytes:
    """``text`` quoted-printable, CRLF line ends, ending in a soft line break.

    Pieces encoded this way can be concatenated: each ends with ``=`` CRLF (which decodes to
    nothing) and no line is longer than 76 characters, the ``=`` included.
    """
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    if not data:
        return b""
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    head, sep, last = encoded.rpartition(b"\n")
    if len(last) >= _QP_LINE:
        # Room for the closing "=": split the last line, never inside an "=XX" escape.
        cut = _QP_LINE - 1
        while b"=" in last[cut - 2 : cut]:
            cut -= 1
        last = last[:cut] + b"=\n" + last[cut:]
    encoded = head + sep + last + b"=\n"
    return encoded.replace(b"\n", b"\r\n")


class QuotedPrintableTemplate:
    """A text with slots (marker strings) whose fixed parts are encoded once.

    :meth:`fill` encodes only the slot values and joins them with the fixed parts, so a
    large HTML part costs microseconds per recipient instead of a full encoding. Decoded,
    the result is exactly ``text`` with each marker replaced by its value, line breaks (CR,
    LF, CRLF) being each piece's own: a CR that ends a fixed part or a value and an LF that
    starts the next are two line breaks, not one CRLF (values from :func:`personalize` have
    no control characters).
    """

    def __init__(self, text: str, slots: tuple[str, ...]) -> None:
        pattern = re.compile("|".join(re.escape(s) for s in slots)) if slots else None
        parts = pattern.split(text) if pattern else [text]
        self.slots = pattern.findall(text) if pattern else []
        self._fixed = [_qp_piece(p) for p in parts]

    def fill(self, values: dict[str, str]) -> EncodedBody:
        """The encoded body with every slot replaced by ``values[slot]``."""
        return EncodedBody("quoted-printable", b"".join(self.fill_pieces(values).pieces))

    def fill_pieces(self, values: dict[str, str]) -> EncodedPieces:
        """:meth:`fill` as pieces (the fixed parts are not copied)."""
        out = [self._fixed[0]]
        for slot, fixed in zip(self.slots, self._fixed[1:], strict=True):
            out.append(_qp_piece(values[slot]))
            out.append(fixed)
        return EncodedPieces("quoted-printable", tuple(out))


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who one message goes to."""

    address: str
    name: str = ""


class MessageBuilder:
    """Builds the messages of one mailing; the per-issue headers are encoded once.

    ``sender`` is the From value with its display name (``"AI 日报 <news@example.com>"``);
    ``list_id`` is a List-Id dot-atom (see :func:`list_id_value`) and ``list_name`` its
    human label; empty ``list_id`` leaves out the list headers (for confirmation emails).
    ``feedback_id`` (see :func:`feedback_id_value`) adds ``Feedback-ID``.

    Header order: From, Reply-To, Subject, MIME-Version, List-Id, Feedback-ID, then per
    recipient To, Date, Message-ID, List-Unsubscribe and right after it
    List-Unsubscribe-Post (Gmail shows no unsubscribe button when Post comes first).
    """

    def __init__(
        self,
        *,
        sender: str,
        subject: str,
        reply_to: str = "",
        list_id: str = "",
        list_name: str = "",
        unsubscribe_mailto: str = "",
        feedback_id: str = "",
    ) -> None:
        sender_name, self.sender_address = split_address(sender, field="NEWSLETTER_SENDER")
        head = [
            encode_address(sender_name, self.sender_address, header="From"),
        ]
        lines = [f"From: {head[0]}"]
        if reply_to:
            rt_name, rt_address = split_address(reply_to, field="NEWSLETTER_REPLY_TO")
            lines.append(f"Reply-To: {encode_address(rt_name, rt_address, header='Reply-To')}")
        lines.append(encode_text_header("Subject", subject))
        lines.append("MIME-Version: 1.0")
        if list_id:
            _check_header_value(list_id, field="List-Id")
            if not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", list_id):
                raise InputError(f"List-Id: not a dot-atom such as daily.example.com: {list_id!r}")
            phrase = encode_phrase(list_name, header="List-Id")
            lines.append(f"List-Id: {phrase} <{list_id}>" if phrase else f"List-Id: <{list_id}>")
        if feedback_id:
            _check_header_value(feedback_id, field="Feedback-ID")
            if not re.fullmatch(r"[a-z0-9-]+(:[a-z0-9-]+){1,3}", feedback_id):
                raise InputError(f"Feedback-ID: not of the form a:b:c:sender: {feedback_id!r}")
            lines.append(f"Feedback-ID: {feedback_id}")
        self._fixed = ("\r\n".join(lines) + "\r\n").encode("ascii")
        self._mailto = ""
        if unsubscribe_mailto:
            _check_header_value(unsubscribe_mailto, field="NEWSLETTER_UNSUBSCRIBE_MAILTO")
            address = unsubscribe_mailto.removeprefix("mailto:")
            if "@" not in address or any(c in address for c in "<> ,"):
                raise InputError(
                    f"NEWSLETTER_UNSUBSCRIBE_MAILTO: not an email address: {unsubscribe_mailto!r}"
                )
            self._mailto = f"<mailto:{address}?subject=unsubscribe>"
        self._list = bool(list_id)
        # A boundary need only be absent from the parts: base64 and quoted-printable never
        # contain "=_", and a random prefix makes it unguessable for 7bit text.
        self._boundary_prefix = secrets.token_hex(8)
        self._counter = itertools.count(1)
        #: (second, Date value): every message of the same second has the same Date.
        self._date: tuple[int, str] = (-1, "")

    def build(
        self,
        *,
        to: Recipient,
        html: str | EncodedBody | EncodedPieces,
        text: str | EncodedBody,
        unsubscribe_url: str = "",
        message_id: str = "",
        date: dt.datetime | None = None,
    ) -> bytes:
        """The complete message for one recipient, CRLF line ends, ASCII only.

        ``html`` and ``text`` are the parts' text, or parts already encoded (see
        :class:`QuotedPrintableTemplate`).

        ``unsubscribe_url`` (https, the recipient's signed link) adds List-Unsubscribe and
        List-Unsubscribe-Post; ``message_id`` defaults to a random one.
        """
        if date is None:
            second = int(time.time())
            cached = self._date
            if cached[0] != second:
                # format_datetime shows whole seconds: one formatting per second suffices.
                cached = (second, format_datetime(dt.datetime.fromtimestamp(second, dt.UTC)))
                self._date = cached
            date_value = cached[1]
        else:
            date_value = format_datetime(date)
        if message_id:
            _check_header_value(message_id, field="Message-ID")
        else:
            message_id = random_message_id(sender_address=self.sender_address)
        lines = [
            f"To: {encode_address(to.name, to.address, header='To')}",
            f"Date: {date_value}",
            f"Message-ID: {message_id}",
        ]
        if unsubscribe_url:
            _check_header_value(unsubscribe_url, field="List-Unsubscribe")
            if any(c in unsubscribe_url for c in "<> ") or not unsubscribe_url.isascii():
                raise InputError(f"List-Unsubscribe: not a URL: {unsubscribe_url!r}")
            targets = [f"<{unsubscribe_url}>"]
            if self._mailto:
                targets.append(self._mailto)
            lines.append("List-Unsubscribe: " + ",\r\n ".join(targets))
            if unsubscribe_url.startswith("https://"):
                lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        boundary = f"=_nl_{self._boundary_prefix}_{next(self._counter)}"
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        text_cte, text_body = (
            (text.cte, text.data) if isinstance(text, EncodedBody) else _encode_body(text)
        )
        html_pieces: tuple[bytes, ...]
        if isinstance(html, EncodedPieces):
            html_cte, html_pieces = html.cte, html.pieces
        elif isinstance(html, EncodedBody):
            html_cte, html_pieces = html.cte, (html.data,)
        else:
            html_cte, html_body = _encode_body(html)
            html_pieces = (html_body,)
        b = boundary.encode("ascii")
        parts = [
            self._fixed,
            ("\r\n".join(lines) + "\r\n\r\n").encode("ascii"),
            b"--" + b + b"\r\n",
            b'Content-Type: text/plain; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: " + text_cte.encode() + b"\r\n\r\n",
            text_body,
            b"\r\n--" + b + b"\r\n",
            b'Content-Type: text/html; charset="utf-8"\r\n',
            b"Content-Transfer-Encoding: " + html_cte.encode() + b"\r\n\r\n",
            *html_pieces,
            b"\r\n--" + b + b"--\r\n",
        ]
        return b"".join(parts)


def build_message(
    *,
    sender: str,
    to: Recipient,
    subject: str,
    html: str,
    text: str,
    reply_to: str = "",
    list_id: str = "",
    list_name: str = "",
    unsubscribe_url: str = "",
    unsubscribe_mailto: str = "",
    feedback_id: str = "",
    message_id: str = "",
    date: dt.datetime | None = None,
) -> bytes:
    """One message, for callers that send a single one (tests, confirmations)."""
    builder = MessageBuilder(
        sender=sender,
        subject=subject,
        reply_to=reply_to,
        list_id=list_id,
        list_name=list_name,
        unsubscribe_mailto=unsubscribe_mailto,
        feedback_id=feedback_id,
    )
    return builder.build(
        to=to,
        html=html,
        text=text,
        unsubscribe_url=unsubscribe_url,
        message_id=message_id,
        date=date,
    )

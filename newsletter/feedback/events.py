"""SES events: the ``Message`` of an SNS notification, parsed into one :class:`SesEvent`.

Both formats SES publishes are read: configuration-set event publishing (``eventType``: Send,
Delivery, Bounce, Complaint, Reject, DeliveryDelay, Rendering Failure, Open, Click,
Subscription) and identity notifications (``notificationType``: Bounce, Complaint, Delivery).

Each event gets a key that identifies it whatever path or format brought it: the type, the
SES message id, and what tells two events of one message apart (the feedback id SES gives a
bounce or a complaint, the recipients of a delivery, the time of a delay, an open or a
click). The same bounce published twice, or one SNS message delivered to both the HTTP
endpoint and the Lambda, has one key, so it is recorded once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from newsletter.errors import InputError
from newsletter.models import DeliveryEventType

#: SES's names (both formats) → ours.
EVENT_TYPES: dict[str, DeliveryEventType] = {
    "Send": DeliveryEventType.SEND,
    "Delivery": DeliveryEventType.DELIVERY,
    "Bounce": DeliveryEventType.BOUNCE,
    "Complaint": DeliveryEventType.COMPLAINT,
    "Reject": DeliveryEventType.REJECT,
    "DeliveryDelay": DeliveryEventType.DELIVERY_DELAY,
    "Rendering Failure": DeliveryEventType.RENDERING_FAILURE,
    "RenderingFailure": DeliveryEventType.RENDERING_FAILURE,
    "Open": DeliveryEventType.OPEN,
    "Click": DeliveryEventType.CLICK,
    "Subscription": DeliveryEventType.SUBSCRIPTION,
}
#: The object that carries each type's details.
_DETAIL_OBJECT: dict[DeliveryEventType, str] = {
    DeliveryEventType.SEND: "send",
    DeliveryEventType.DELIVERY: "delivery",
    DeliveryEventType.BOUNCE: "bounce",
    DeliveryEventType.COMPLAINT: "complaint",
    DeliveryEventType.REJECT: "reject",
    DeliveryEventType.DELIVERY_DELAY: "deliveryDelay",
    DeliveryEventType.RENDERING_FAILURE: "failure",
    DeliveryEventType.OPEN: "open",
    DeliveryEventType.CLICK: "click",
    DeliveryEventType.SUBSCRIPTION: "subscription",
}
PERMANENT = "Permanent"
#: The click tag that names a link (``ses:tags="link:<name>"`` on the anchor).
LINK_TAG = "link"
KEY_MAX = 255
TEXT_MAX = 1000
LINK_MAX = 2000


class UnrecordedEventError(InputError):
    """A well-formed SES message of a type we do not record."""


@dataclass(frozen=True)
class Recipient:
    """An address an event names, with its diagnostic (bounces, delays)."""

    email: str
    diagnostic: str = ""


@dataclass(frozen=True)
class SesEvent:
    """One SES event, as recorded in ``delivery_events``."""

    type: DeliveryEventType
    key: str
    message_id: str
    occurred_at: dt.datetime
    recipients: tuple[Recipient, ...] = ()
    bounce_type: str = ""
    bounce_subtype: str = ""
    diagnostic: str = ""
    link: str = ""
    link_tag: str = ""
    #: The ledger row the message was sent for (its ``delivery`` message tag), if any.
    delivery_tag: int | None = None

    @property
    def permanent(self) -> bool:
        """A hard bounce (SES's ``Permanent``); every other bounce is soft."""
        return self.bounce_type == PERMANENT


def _text(value: object, limit: int = TEXT_MAX) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def _recipients(entries: object, *, plain: bool = False) -> tuple[Recipient, ...]:
    """``[{"emailAddress": ..., "diagnosticCode": ...}]``, or with ``plain`` a list of strings."""
    if not isinstance(entries, list):
        return ()
    out: list[Recipient] = []
    for entry in entries:
        if plain and isinstance(entry, str):
            out.append(Recipient(entry))
        elif isinstance(entry, Mapping) and isinstance(entry.get("emailAddress"), str):
            diagnostic = entry.get("diagnosticCode") or entry.get("status") or ""
            out.append(Recipient(entry["emailAddress"], _text(str(diagnostic))))
    return tuple(out)


def _link_tag(tags: object) -> str:
    if not isinstance(tags, Mapping):
        return ""
    values = tags.get(LINK_TAG)
    if isinstance(values, list) and values and isinstance(values[0], str):
        return values[0][:100]
    return ""


def event_key(kind: DeliveryEventType, message_id: str, discriminator: str) -> str:
    """``type:message-id:discriminator``; hashed past :data:`KEY_MAX` characters."""
    key = f"{kind.value}:{message_id}:{discriminator}"
    if len(key) <= KEY_MAX:
        return key
    digest = hashlib.sha256(f"{message_id}\0{discriminator}".encode()).hexdigest()
    return f"{kind.value}:sha256:{digest}"


def load_message(message: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The SES JSON object of an SNS ``Message``; :class:`InputError` if it is not one."""
    if not isinstance(message, str):
        return message
    try:
        note: Any = json.loads(message)
    except ValueError:
        raise InputError("the SES notification is not JSON") from None
    except RecursionError:
        raise InputError("the SES notification is nested too deeply") from None
    if not isinstance(note, Mapping):
        raise InputError("the SES notification is not a JSON object")
    return note


def parse_event(message: str | Mapping[str, Any]) -> SesEvent:
    """The event in an SES notification (JSON text or parsed).

    Raises :class:`InputError` for a message that is not an SES event (no type, no
    ``mail.messageId``) and :class:`UnrecordedEventError` for a type we do not record.
    """
    note = load_message(message)
    raw_type = note.get("eventType") or note.get("notificationType")
    if not isinstance(raw_type, str) or not raw_type:
        raise InputError("the SES notification has no eventType or notificationType")
    kind = EVENT_TYPES.get(raw_type)
    if kind is None:
        raise UnrecordedEventError(f"SES event type {raw_type[:40]!r} is not recorded")
    mail = note.get("mail")
    message_id = mail.get("messageId") if isinstance(mail, Mapping) else None
    if not isinstance(message_id, str) or not message_id or len(message_id) > 200:
        raise InputError("the SES notification has no mail.messageId")
    detail = note.get(_DETAIL_OBJECT[kind])
    body: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
    mail_time = _timestamp(mail.get("timestamp")) if isinstance(mail, Mapping) else None
    occurred = _timestamp(body.get("timestamp")) or mail_time or dt.datetime.now(dt.UTC)
    fields: dict[str, Any] = {}
    discriminator = ""
    if kind is DeliveryEventType.BOUNCE:
        recipients = _recipients(body.get("bouncedRecipients"))
        fields = {
            "recipients": recipients,
            "bounce_type": _text(body.get("bounceType"), 20) or "Undetermined",
            "bounce_subtype": _text(body.get("bounceSubType"), 40),
            "diagnostic": recipients[0].diagnostic if recipients else "",
        }
        discriminator = _text(body.get("feedbackId"), 200) or occurred.isoformat()
    elif kind is DeliveryEventType.COMPLAINT:
        fields = {
            "recipients": _recipients(body.get("complainedRecipients")),
            "diagnostic": _text(body.get("complaintFeedbackType"), 100),
        }
        discriminator = _text(body.get("feedbackId"), 200) or occurred.isoformat()
    elif kind is DeliveryEventType.DELIVERY:
        recipients = _recipients(body.get("recipients"), plain=True)
        fields = {"recipients": recipients, "diagnostic": _text(body.get("smtpResponse"))}
        discriminator = ",".join(sorted(r.email for r in recipients))
    elif kind is DeliveryEventType.DELIVERY_DELAY:
        recipients = _recipients(body.get("delayedRecipients"))
        delay = _text(body.get("delayType"), 100)
        first = recipients[0].diagnostic if recipients else ""
        fields = {"recipients": recipients, "diagnostic": f"{delay}: {first}" if first else delay}
        discriminator = occurred.isoformat()
    elif kind is DeliveryEventType.REJECT:
        fields = {"diagnostic": _text(body.get("reason"))}
    elif kind is DeliveryEventType.RENDERING_FAILURE:
        fields = {"diagnostic": _text(body.get("errorMessage"))}
    elif kind is DeliveryEventType.OPEN:
        discriminator = occurred.isoformat()
    elif kind is DeliveryEventType.CLICK:
        link = _text(body.get("link"), LINK_MAX)
        fields = {"link": link, "link_tag": _link_tag(body.get("linkTags"))}
        discriminator = f"{occurred.isoformat()} {link}"
    elif kind is DeliveryEventType.SUBSCRIPTION:
        discriminator = occurred.isoformat()
    return SesEvent(
        type=kind,
        key=event_key(kind, message_id, discriminator),
        message_id=message_id,
        occurred_at=occurred,
        delivery_tag=_delivery_tag(mail.get("tags") if isinstance(mail, Mapping) else None),
        **fields,
    )


#: The message tag that carries a message's ledger row (``delivery=<id>``).
DELIVERY_TAG = "delivery"


def _delivery_tag(tags: object) -> int | None:
    """The ledger row named by the SES event's ``mail.tags`` (``{"delivery": ["123"]}``)."""
    if not isinstance(tags, Mapping):
        return None
    values = tags.get(DELIVERY_TAG)
    value = values[0] if isinstance(values, list) and values else values
    if isinstance(value, str) and value.isdigit() and len(value) < 19:
        return int(value)
    return None

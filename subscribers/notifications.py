"""``POST /ses/notifications``: SES bounces and complaints delivered by SNS over HTTPS.

Nothing is trusted before :class:`~newsletter.sns.SnsVerifier` has checked the signature,
the certificate's origin and the topic. A message that fails gets 403 and changes nothing.
Subscription confirmations for an accepted topic are confirmed; notifications are applied
(:mod:`newsletter.ses_feedback`), and replays are harmless.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from newsletter.db import transaction
from newsletter.errors import InputError
from newsletter.ses_feedback import FeedbackResult, apply_notification
from newsletter.sns import SnsMessage, SnsVerificationError, parse_body
from subscribers.services import Services, services

log = logging.getLogger(__name__)

#: SNS messages are at most 256 KiB; the JSON envelope adds a little.
MAX_BODY_BYTES = 320 * 1024


async def ses_notifications(request: Request) -> Response:
    """Verify, then confirm the subscription or apply the notification."""
    svc = services(request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return PlainTextResponse("too large", status_code=413)
    try:
        payload = parse_body(body)
        message = await run_in_threadpool(svc.sns_verifier.verify, payload)
    except SnsVerificationError as exc:
        log.warning("SNS message refused: %s", exc)
        return PlainTextResponse("forbidden", status_code=403)
    if message.type == "SubscriptionConfirmation":
        try:
            await run_in_threadpool(svc.sns_verifier.confirm_subscription, message)
        except SnsVerificationError as exc:
            log.warning("SNS subscription not confirmed: %s", exc)
            return PlainTextResponse("forbidden", status_code=403)
        log.info("confirmed the SNS subscription to %s", message.topic_arn)
        return PlainTextResponse("subscribed")
    if message.type != "Notification":
        return PlainTextResponse("ignored")
    result = await run_in_threadpool(apply_message, svc, message)
    return JSONResponse(
        {"kind": result.kind, "recipients": result.recipients, "changed": result.changed}
    )


def apply_message(svc: Services, message: SnsMessage) -> FeedbackResult:
    """Apply a verified notification; a message SES would never send is logged and ignored."""
    try:
        with transaction(svc.engine) as session:
            return apply_notification(
                session,
                message=message.message,
                soft_limit=svc.settings.soft_bounce_limit,
                reference=message.message_id,
            )
    except InputError as exc:
        # Answered 200 all the same: SNS would only retry a message that can never apply.
        log.warning("SNS notification %s ignored: %s", message.message_id, exc)
        return FeedbackResult("ignored")

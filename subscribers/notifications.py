"""``POST /ses/notifications``: SES events delivered by SNS over HTTPS.

Nothing is trusted before :class:`~newsletter.feedback.SnsVerifier` has checked the
signature, the certificate's origin and the topic. A message that fails (or is not JSON, or
is nested too deeply to read) gets 403 and changes nothing. Subscription confirmations for
an accepted topic are confirmed; notifications go to
:func:`~newsletter.feedback.receive_notification`, which decides everything.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from newsletter.feedback import SnsVerificationError, parse_body, receive_notification
from subscribers.services import services

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
    result = await run_in_threadpool(
        receive_notification, svc.engine, message, soft_limit=svc.settings.soft_bounce_limit
    )
    return JSONResponse(result.as_dict())

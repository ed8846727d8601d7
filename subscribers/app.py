"""The subscriber web service: :func:`create_app` builds the Starlette app (nothing at import).

Routes::

    GET  /unsubscribe/{token}   page with a button; changes nothing (link scanners GET links)
    POST /unsubscribe/{token}   unsubscribe: the button, or RFC 8058 one-click
    GET  /subscribe             sign-up form (``?edition=SLUG`` or ``?list=NAME``: that
                                edition's, in its language; else the default edition's)
    POST /subscribe             sign-up (double opt-in), the same answer for every address
    GET  /confirm/{token}       page with a button; changes nothing (expired: a page that
                                offers a new confirmation email)
    POST /confirm/{token}       confirm the subscription
    POST /confirm/{token}/renew an expired link: send a new confirmation email (throttled)
    GET  /preferences/{token}   the person's lists, language, "unsubscribe from all"
    POST /preferences/{token}   change them (events recorded; a rejoin confirms by email)
    GET  /archive               the editions (one edition: a redirect to its archive)
    GET  /archive/feed.xml      301 to the default edition's feed (the feed before editions)
    GET  /archive/{edition}     an edition's sent issues (a date: 301 to the default
                                edition's issue of that day, the links before editions)
    GET  /archive/{edition}/feed.xml  RSS 2.0 of an edition's sent issues
    GET  /archive/{edition}/{date}    one sent issue, as sent, without personal links
    POST /ses/notifications     SES bounces and complaints via SNS (signatures verified)
    GET  /healthz               200 when the database answers, else 503
    GET  /media/{name}          a stored image of the local media store (long cache)

No cookies are set by any route, and no URL is ever built from the request's Host header
(the client chooses it): absolute links use NEWSLETTER_BASE_URL, redirects are by path only.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Route

from newsletter import db
from newsletter.feedback.sns import SnsVerifier
from newsletter.settings import Settings
from newsletter.transport import Transport
from subscribers import archive, media, notifications, preferences, subscribe, unsubscribe
from subscribers.services import Services, services

log = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    transport: object | None = None,
    sns_verifier: SnsVerifier | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The ASGI app.

    ``engine`` defaults to one made from ``settings.database_url`` (and disposed at
    shutdown); ``transport`` (a :class:`~newsletter.transport.Transport`) to the one the
    settings name, made on first use; ``sns_verifier`` to one accepting
    ``settings.sns_topic_arns``; ``clock`` drives the sign-up rate limits.
    """
    own_engine = engine is None
    engine = engine if engine is not None else db.make_engine(settings.database_url)
    svc = Services(
        settings,
        engine=engine,
        transport=_as_transport(transport),
        sns_verifier=sns_verifier,
        clock=clock,
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        if own_engine:
            engine.dispose()

    routes = [
        Route("/unsubscribe/{token}", unsubscribe.unsubscribe_page, methods=["GET"]),
        Route("/unsubscribe/{token}", unsubscribe.unsubscribe_post, methods=["POST"]),
        Route("/subscribe", subscribe.subscribe_form, methods=["GET"], name="subscribe"),
        Route("/subscribe", subscribe.subscribe_post, methods=["POST"]),
        Route("/confirm/{token}", subscribe.confirm_page, methods=["GET"]),
        Route("/confirm/{token}", subscribe.confirm_post, methods=["POST"]),
        Route("/confirm/{token}/renew", subscribe.renew_post, methods=["POST"]),
        Route("/preferences/{token}", preferences.preferences_page, methods=["GET"]),
        Route("/preferences/{token}", preferences.preferences_post, methods=["POST"]),
        Route("/archive", archive.archive_home, methods=["GET"], name="archive_home"),
        Route("/archive/feed.xml", archive.legacy_feed, methods=["GET"]),
        Route("/archive/{edition}", archive.archive_index, methods=["GET"], name="archive_index"),
        Route(
            "/archive/{edition}/feed.xml",
            archive.archive_feed,
            methods=["GET"],
            name="archive_feed",
        ),
        Route(
            "/archive/{edition}/{date}",
            archive.archive_issue,
            methods=["GET"],
            name="archive_issue",
        ),
        Route("/ses/notifications", notifications.ses_notifications, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/media/{name}", media.media_file, methods=["GET", "HEAD"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    # Starlette's own trailing-slash redirect builds an absolute URL from Host: ours is a path.
    app.router.redirect_slashes = False
    app.state.services = svc
    return app


def _as_transport(transport: object | None) -> Transport | None:
    if transport is None:
        return None
    if not callable(getattr(transport, "send", None)):
        raise TypeError(f"not a transport: {transport!r}")
    return transport  # type: ignore[return-value]


async def healthz(request: Request) -> Response:
    """200 ``{"status": "ok"}`` when the database answers, else 503."""
    engine = services(request).engine
    try:
        await run_in_threadpool(_ping, engine)
    except SQLAlchemyError as exc:
        log.error("health check: the database does not answer: %s", exc)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


def _ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        slashless = _without_trailing_slash(request)
        if slashless is not None:
            return RedirectResponse(slashless, status_code=307)
        return services(request).pages.not_found()
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def _without_trailing_slash(request: Request) -> str | None:
    """The path without its trailing slash (query kept) when a route serves that path."""
    path = request.url.path
    if not path.endswith("/") or path == "/":
        return None
    scope = {**request.scope, "path": path.rstrip("/")}
    if not any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
        return None
    target = path.rstrip("/")
    if target.startswith("//") or not target.startswith("/"):
        return None  # never a scheme-relative URL (another host)
    query = request.url.query
    return target + (f"?{query}" if query else "")

"""`newsletter serve`: the subscriber web service on this machine, with uvicorn."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer
import uvicorn

from newsletter.cli.context import runtime
from newsletter.errors import ConfigError


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the subscriber web service (unsubscribe, subscribe, confirm, archive, SNS).

    Links are built from NEWSLETTER_BASE_URL, never from the request's Host header; it is
    required unless the service listens on loopback only (then it is this address).
    X-Forwarded-For is believed only from NEWSLETTER_TRUSTED_PROXIES (nobody by default).
    """
    # The one place where the library and the web service meet; the core never imports it.
    from subscribers.app import create_app

    rt = runtime(ctx)
    rt.settings.require_secret_key()  # every personal link needs it: fail now, not per request
    settings = rt.settings
    local = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
    if not settings.base_url:
        if not _is_loopback(host):
            raise ConfigError(
                "NEWSLETTER_BASE_URL is not set: it is required when serving beyond loopback "
                "(links are never built from the request's Host header)"
            )
        settings = settings.model_copy(update={"base_url": local})
        typer.echo(f"NEWSLETTER_BASE_URL is not set: links point to {local} (loopback)", err=True)
    settings.require_base_url()
    web = create_app(settings, engine=rt.engine())
    proxies = settings.trusted_proxies
    typer.echo(f"serving on {local}/ (archive: /archive)", err=True)
    uvicorn.run(
        web,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=list(proxies) if proxies else [],
    )

"""`newsletter serve`: the subscriber web service on this machine, with uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from newsletter.cli.context import runtime


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Run the subscriber web service (unsubscribe, subscribe, confirm, archive, SNS)."""
    # The one place where the library and the web service meet; the core never imports it.
    from subscribers.app import create_app

    rt = runtime(ctx)
    rt.settings.require_secret_key()  # every personal link needs it: fail now, not per request
    web = create_app(rt.settings, engine=rt.engine())
    typer.echo(f"serving on http://{host}:{port}/ (archive: /archive)", err=True)
    uvicorn.run(web, host=host, port=port, log_level="info", server_header=False)

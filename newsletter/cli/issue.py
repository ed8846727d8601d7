"""`newsletter issue ...`: compose and inspect issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from newsletter import db
from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import print_json, print_table
from newsletter.compose import compose_issue, get_issue, issue_dict, list_issues
from newsletter.editions import get_edition
from newsletter.files import write_files
from newsletter.lifecycle import shows_stored_rendering
from newsletter.render import LintError, render_issue_mjml
from newsletter.render.issue import lint_issue, render_lint_store_media, stored_rendering
from newsletter.render.lint import image_report
from newsletter.render.preview import open_browser, preview_rendering, start_preview

app = typer.Typer(help="Issues: compose, show, list, render, lint, preview.", no_args_is_help=True)

DateArg = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def print_issue(data: dict[str, object]) -> None:
    """Print a composed issue for people."""
    typer.echo(f"{data['edition']} {data['date']}  [{data['status']}]  {data['subject']}")
    typer.echo(f"preheader: {data['preheader']}")
    typer.echo("summary:")
    for line in str(data["summary"]).splitlines():
        typer.echo(f"  {line}")
    sections = data["sections"]
    assert isinstance(sections, list)
    for section in sections:
        indent = "  " * int(section.get("depth") or 0)
        typer.echo(f"\n{indent}## {section.get('heading', '')}")
        for block in section.get("blocks") or []:
            if block.get("kind") != "item":
                first = str(block.get("markdown", "")).strip().splitlines()
                typer.echo(f"{indent}  [text] {first[0][:60] if first else ''}")
                continue
            extra = f"  ({len(block['links'])} links, {len(block['images'])} images)"
            number = f"{block['number']}. " if block.get("number") is not None else "- "
            typer.echo(f"{indent}  {number}{block['title']}{extra}")


@app.command()
def compose(
    ctx: typer.Context,
    date: DateArg,
    subject: Annotated[str | None, typer.Option(help="Defaults to the digest's title.")] = None,
    edition: EditionOpt = None,
) -> None:
    """Compose (or recompose) the day's issue from the stored items."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        chosen = get_edition(session, edition)
        issue = compose_issue(session, date=date.date(), subject=subject, edition=chosen)
        data = issue_dict(issue)
    print_issue(data)


@app.command()
def show(
    ctx: typer.Context, date: DateArg, as_json: JsonOpt = False, edition: EditionOpt = None
) -> None:
    """Show one issue."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        data = issue_dict(get_issue(session, date.date(), edition=get_edition(session, edition)))
    if as_json:
        print_json(data)
    else:
        print_issue(data)


@app.command("list")
def list_(
    ctx: typer.Context,
    as_json: JsonOpt = False,
    edition: Annotated[
        str | None, typer.Option("--edition", help="Only this edition's (default: every one).")
    ] = None,
) -> None:
    """List issues, newest first."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        chosen = get_edition(session, edition) if edition is not None else None
        issues = [issue_dict(i) for i in list_issues(session, edition=chosen)]
    if as_json:
        for i in issues:
            i.pop("sections")
        print_json(issues)
        return
    rows = [[i["edition"], i["date"], i["status"], i["item_count"], i["subject"]] for i in issues]
    print_table("Issues", columns=["edition", "date", "status", "items", "subject"], rows=rows)


StrictOpt = Annotated[bool, typer.Option("--strict", help="Fail (exit 2) on any lint warning.")]


@app.command()
def render(
    ctx: typer.Context,
    date: DateArg,
    out: Annotated[Path, typer.Option("--out", help="Write the HTML part here.")],
    text: Annotated[Path | None, typer.Option("--text", help="Write the text part here.")] = None,
    mjml: Annotated[Path | None, typer.Option("--mjml", help="Write the MJML here.")] = None,
    strict: StrictOpt = False,
    edition: EditionOpt = None,
) -> None:
    """Render the issue, store it with the issue, and write the HTML (and text, MJML).

    An issue that is being sent or was sent keeps its rendering: the files get the stored
    bytes, exactly what subscribers received.
    """
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        stored = stored_rendering(issue)
        if stored is not None and shows_stored_rendering(issue):
            rendered, warnings, media = lint_issue(session, issue, rt.settings)
        else:
            rendered, warnings, media = render_lint_store_media(
                session, issue, rt.settings, strict=strict
            )
        files = {out: rendered.html}
        if text is not None:
            files[text] = rendered.text
        if mjml is not None:
            files[mjml] = render_issue_mjml(issue, rt.settings, media=media)
        write_files(files)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if media is not None:
        for line in image_report(media):
            typer.echo(f"image: {line}")
    size = len(rendered.html.encode("utf-8")) / 1024
    typer.echo(f"rendered {date.date().isoformat()}: {rendered.subject}")
    for path in files:
        typer.echo(f"  {path}" + (f"  ({size:.1f} KB)" if path == out else ""))


@app.command()
def lint(
    ctx: typer.Context, date: DateArg, strict: StrictOpt = False, edition: EditionOpt = None
) -> None:
    """Lint the issue's email (its stored rendering, else a fresh one)."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        _rendered, warnings, media = lint_issue(session, issue, rt.settings)
    for line in image_report(media):
        typer.echo(f"image: {line}")
    for warning in warnings:
        typer.echo(f"warning: {warning}")
    typer.echo(f"{len(warnings)} warning(s)" if warnings else "no warnings")
    if strict and warnings:
        raise LintError(f"{len(warnings)} lint warning(s) and --strict")


@app.command()
def preview(
    ctx: typer.Context,
    date: DateArg,
    host: Annotated[str, typer.Option(help="Interface to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 8025,
    open_: Annotated[
        bool, typer.Option("--open/--no-open", help="Open a browser if there is one.")
    ] = True,
    seconds: Annotated[
        float | None, typer.Option("--for", help="Stop after SECONDS (default: until Ctrl-C).")
    ] = None,
    edition: EditionOpt = None,
) -> None:
    """Serve the rendered issue on localhost (/ HTML, /text, /mobile) and print the URL."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        rendered = preview_rendering(issue, rt.settings)
    server = start_preview(rendered, host=host, port=port)
    try:
        typer.echo(f"Preview of {date.date().isoformat()}: {server.url}")
        typer.echo(f"  text part: {server.url}text   phone width: {server.url}mobile")
        if open_ and not open_browser(server.url):
            typer.echo("  (no browser here: open the URL yourself)")
        typer.echo("Ctrl-C stops." if seconds is None else f"Serving for {seconds:g} s.")
        server.wait(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()

"""`newsletter issue ...`: compose and inspect issues."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import typer

from newsletter import db
from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import print_json, print_table
from newsletter.compose import (
    compose_and_report,
    describe_issue,
    edit_issue,
    get_issue,
    issue_dict,
    list_issues,
)
from newsletter.editions import get_edition
from newsletter.editorial import IssueChange, Move, NewBlock
from newsletter.errors import InputError
from newsletter.files import read_text_file, write_files
from newsletter.lifecycle import shows_stored_rendering
from newsletter.render import LintError, render_issue_mjml
from newsletter.render.issue import lint_issue, render_store_and_lint, stored_rendering
from newsletter.render.lint import image_report
from newsletter.render.preview import open_browser, preview_copies, preview_source, start_preview

app = typer.Typer(
    help="Issues: compose, show, edit, list, render, lint, preview.", no_args_is_help=True
)

DateArg = Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def print_issue(data: dict[str, Any]) -> None:
    """Print an issue for people: its head, then the numbered outline `issue edit` uses."""
    typer.echo(f"{data['edition']} {data['date']}  [{data['status']}]  {data['subject']}")
    if data.get("stale"):
        typer.echo(f"stale: {data['stale']} (the send renders it again)")
    typer.echo(f"preheader: {data['preheader']}")
    if data.get("note"):
        typer.echo("note:")
        for line in str(data["note"]).splitlines():
            typer.echo(f"  {line}")
    typer.echo("summary:")
    for line in str(data["summary"]).splitlines():
        typer.echo(f"  {line}")
    depth = 0
    for row in data.get("outline") or []:
        dropped = "[dropped] " if row["dropped"] else ""
        if row["kind"] not in ("item", "text"):
            depth = int(row.get("depth") or 0)
            kind = "" if row["kind"] == "section" else f"[{row['kind']}] "
            typer.echo(f"\n{'  ' * depth}{row['number']:>4}  {dropped}{kind}## {row['label']}")
            continue
        extra = f"  ({row['links']} links, {row['images']} images)" if row["kind"] == "item" else ""
        label = row["label"] if row["kind"] == "item" else f"[text] {row['label']}"
        typer.echo(f"{'  ' * depth}  {row['number']:>6}  {dropped}{label}{extra}")
    for line in data.get("lost") or []:
        typer.echo(f"warning: {line}", err=True)


@app.command()
def compose(
    ctx: typer.Context,
    date: DateArg,
    subject: Annotated[
        str | None, typer.Option(help="The editor's subject (kept across recomposes).")
    ] = None,
    edition: EditionOpt = None,
) -> None:
    """Compose (or recompose) the day's issue from the stored items, keeping the editor's
    choices (`issue edit`)."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        chosen = get_edition(session, edition)
        issue, _lost = compose_and_report(
            session, date=date.date(), subject=subject, edition=chosen
        )
        data = describe_issue(session, issue, rt.settings)
    print_issue(data)


@app.command()
def show(
    ctx: typer.Context, date: DateArg, as_json: JsonOpt = False, edition: EditionOpt = None
) -> None:
    """Show one issue: its head, whether its rendering is stale, and its numbered outline."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        data = describe_issue(session, issue, rt.settings)
    if as_json:
        print_json(data)
    else:
        print_issue(data)


@app.command()
def edit(
    ctx: typer.Context,
    date: DateArg,
    subject: Annotated[
        str | None, typer.Option("--subject", help='The subject ("": the digest\'s title).')
    ] = None,
    preheader: Annotated[
        str | None, typer.Option("--preheader", help='Inbox preview text ("": from the summary).')
    ] = None,
    note: Annotated[
        str | None,
        typer.Option("--note", help='Editor\'s note (Markdown) under the headline ("": none).'),
    ] = None,
    note_file: Annotated[
        Path | None, typer.Option("--note-file", help="The note from a Markdown file.")
    ] = None,
    drop: Annotated[
        list[str] | None, typer.Option("--drop", help="Drop a part: 3 (section), 3.2 (block).")
    ] = None,
    restore: Annotated[
        list[str] | None, typer.Option("--restore", help="Restore a dropped part.")
    ] = None,
    move: Annotated[
        str | None, typer.Option("--move", help="Move this part (with --before/--after).")
    ] = None,
    before: Annotated[str | None, typer.Option("--before", help="... before this part.")] = None,
    after: Annotated[
        str | None, typer.Option("--after", help="... after this part (a section: at its end).")
    ] = None,
    add_block: Annotated[
        str | None, typer.Option("--add-block", help="Add a block: notice or sponsor.")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="The block's Markdown.")] = None,
    title: Annotated[str, typer.Option("--title", help="The block's heading.")] = "",
    at: Annotated[
        str, typer.Option("--at", help="The block goes after this section (0: top; end).")
    ] = "end",
    remove_block: Annotated[
        list[str] | None, typer.Option("--remove-block", help="Remove an added block: B1.")
    ] = None,
    as_json: JsonOpt = False,
    edition: EditionOpt = None,
) -> None:
    """Change the draft: subject, preheader, editor's note, drop/restore/move parts, add or
    remove notice and sponsor blocks. Parts are named by `issue show`'s numbers; every choice
    is kept when the day's digest is imported again."""
    rt = runtime(ctx)
    if note_file is not None:
        note = read_text_file(note_file)
    moving: Move | None = None
    if move is not None:
        if (before is None) == (after is None):
            raise InputError("--move needs one of --before or --after")
        moving = Move(move, before or after or "", "before" if before is not None else "after")
    block = None
    if add_block is not None:
        block = NewBlock(add_block, text or "", title, at)
    change = IssueChange(
        subject=subject,
        preheader=preheader,
        note=note,
        drop=drop or (),
        restore=restore or (),
        move=moving,
        add_block=block,
        remove_block=remove_block or (),
    )
    with db.transaction(rt.engine()) as session:
        chosen = get_edition(session, edition)
        issue, done = edit_issue(session, date=date.date(), edition=chosen, change=change)
        data = describe_issue(session, issue, rt.settings)
    if as_json:
        print_json({**data, "changes": done})
        return
    for line in done:
        typer.echo(line)
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


LanguageOpt = Annotated[
    str,
    typer.Option("--language", help="The copy in this language (default: the edition's)."),
]
AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="The copy of this subscriber (their greeting and unsubscribe link)."),
]


@app.command()
def render(
    ctx: typer.Context,
    date: DateArg,
    out: Annotated[Path, typer.Option("--out", help="Write the HTML part here.")],
    text: Annotated[Path | None, typer.Option("--text", help="Write the text part here.")] = None,
    mjml: Annotated[Path | None, typer.Option("--mjml", help="Write the MJML here.")] = None,
    strict: StrictOpt = False,
    language: LanguageOpt = "",
    as_: AsOpt = None,
    edition: EditionOpt = None,
) -> None:
    """Render the issue, store it with the issue, and write a reader's copy of it.

    The files hold what a reader sees: the edition's language (or --language), the greeting
    without a name and an inert unsubscribe link (/unsubscribe/test-send), or with --as the
    subscriber's own copy. An issue that is being sent or was sent keeps its rendering: the
    files are made of the stored bytes, exactly what subscribers received.
    """
    from newsletter.editions import issue_settings
    from newsletter.render.reader import reader_copy, source_copy, subscriber_reader

    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        stored = stored_rendering(issue)
        if stored is not None and shows_stored_rendering(issue):
            rendered, warnings, media = lint_issue(session, issue, rt.settings)
        else:
            rendered, warnings, media = render_store_and_lint(
                session, issue, rt.settings, strict=strict
            )
        seen = issue_settings(rt.settings, issue)
        reader = None if as_ is None else subscriber_reader(session, issue, seen, email=as_)
        copy = reader_copy(rendered, seen, language=language, reader=reader)
        files = {out: copy.html}
        if text is not None:
            files[text] = copy.text
        if mjml is not None:
            source = render_issue_mjml(issue, rt.settings, media=media)
            files[mjml] = source_copy(source, seen, language=language, reader=reader)
        write_files(files)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    if media is not None:
        for line in image_report(media):
            typer.echo(f"image: {line}")
    size = len(rendered.html.encode("utf-8")) / 1024
    whose = "the generic reader's copy" if as_ is None else "a subscriber's copy"
    typer.echo(f"rendered {date.date().isoformat()}: {rendered.subject}")
    typer.echo(f"  written: {whose}, language {copy.language}")
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
    language: LanguageOpt = "",
    as_: AsOpt = None,
    edition: EditionOpt = None,
) -> None:
    """Serve a reader's copy of the issue on localhost (/ HTML, /text, /mobile); print the URL.

    Each page takes ?lang=LANG (another language), ?as=EMAIL (a subscriber's copy) and
    ?copy=public (the web archive's copy); --language and --as choose the first one shown.
    """
    from newsletter.render.reader import reader_lookup

    rt = runtime(ctx)
    engine = rt.engine()
    with db.transaction(engine) as session:
        issue = get_issue(session, date.date(), edition=get_edition(session, edition))
        rendered, seen = preview_source(issue, rt.settings)
        find_reader = reader_lookup(engine, issue_id=issue.id, settings=seen)
    copies = preview_copies(rendered, seen, find_reader=find_reader)
    first = {k: v for k, v in (("lang", language), ("as", as_ or "")) if v}
    copies(first)  # an unknown language or subscriber fails here, as one line
    server = start_preview(copies, host=host, port=port)
    url = server.url + (f"?{urlencode(first)}" if first else "")
    try:
        typer.echo(f"Preview of {date.date().isoformat()}: {url}")
        typer.echo(f"  text part: {server.url}text   phone width: {server.url}mobile")
        typer.echo(
            f"  other copies: {server.url}?lang=en (or zh)   {server.url}?as=EMAIL   "
            f"{server.url}?copy=public (the archive's)"
        )
        if open_ and not open_browser(url):
            typer.echo("  (no browser here: open the URL yourself)")
        typer.echo("Ctrl-C stops." if seconds is None else f"Serving for {seconds:g} s.")
        server.wait(seconds)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()

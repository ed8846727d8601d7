"""`newsletter items ...`: import a day's digest, list stored items."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from newsletter import db
from newsletter.cli.context import EditionOpt, runtime
from newsletter.cli.output import print_json, print_table
from newsletter.editions import edition_for_path, edition_settings, get_edition, list_editions
from newsletter.errors import InputError
from newsletter.items import item_dict, list_items, store_digest

app = typer.Typer(help="The day's news items.", no_args_is_help=True)

DateOpt = Annotated[
    dt.datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="YYYY-MM-DD")
]


@app.command("import")
def import_(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Markdown digest, RSS/Atom feed, or JSON file; or several, or a folder "
            "(its Markdown files, recursively).",
            metavar="PATH",
            show_default=False,
        ),
    ],
    date: DateOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Import nothing (exit 2) if any part needed repair.")
    ] = False,
    edition: EditionOpt = None,
) -> None:
    """Import a digest; a day imported again is replaced in one transaction, never duplicated.

    A broken part (a link that is not http(s), a broken image, raw HTML, an empty section) is
    repaired or dropped and reported as one warning line on stderr; the rest is imported.
    Several files or a folder: one line per file, every valid day imported, a page that is
    not a digest skipped; exit code 2 if any file failed.
    """
    # The readers (markdown-it, lxml, feedparser) only when importing: `items list` starts fast.
    from newsletter.digest import read_digests
    from newsletter.digest.batch import is_many

    rt = runtime(ctx)
    day = date.date() if date else None
    with db.transaction(rt.engine()) as session:
        chosen = get_edition(session, edition)
        drop_sections = edition_settings(rt.settings, chosen).drop_sections
    if is_many(paths):
        _import_many(ctx, paths, date=day, strict=strict, edition=edition)
        return
    path = paths[0]
    # Parse everything before writing anything.
    parsed = read_digests(path, date=day, drop_sections=drop_sections)
    for line in parsed.warnings:
        typer.echo(f"warning: {line}", err=True)
    if strict and parsed.warnings:
        count = len(parsed.warnings)
        raise InputError(
            f"{count} warning{'s' if count > 1 else ''} and --strict: nothing imported",
            source=str(path),
        )
    for heading in parsed.dropped_sections:
        typer.echo(f"dropped section {heading!r} (NEWSLETTER_DROP_SECTIONS)", err=True)
    with db.transaction(rt.engine()) as session:
        chosen = get_edition(session, edition)
        results = [
            store_digest(session, d, source=str(path), edition=chosen) for d in parsed.digests
        ]
    for r in results:
        action = f"replaced {r.replaced} earlier items" if r.replaced else "new day"
        typer.echo(
            f"{r.edition} {r.date}: imported {r.items} items and {r.text_blocks} text blocks "
            f"in {r.sections} sections ({action})"
        )
        _notes(r.issue_notes)


def _notes(lines: list[str]) -> None:
    # What the import did to the day's issue (a draft follows its items; one that is out
    # is frozen), and each editor's choice it could not keep.
    for line in lines:
        typer.echo(f"  {line}")


def _import_many(
    ctx: typer.Context,
    paths: list[Path],
    *,
    date: dt.date | None,
    strict: bool,
    edition: str | None,
) -> None:
    """Each file read, then stored in a transaction of its own; one line per file. Without
    ``--edition`` each file goes to the edition its folders name (``content/en/...``)."""
    from newsletter.digest.batch import Tally, read_files

    rt = runtime(ctx)
    engine = rt.engine()  # the schema checked once, not once a file
    with db.transaction(engine) as session:
        editions = {e.slug: edition_settings(rt.settings, e) for e in list_editions(session)}
        default = get_edition(session, edition).slug

    def route(path: Path) -> tuple[str, list[str]]:
        slug = default if edition else edition_for_path(list(editions), path, default=default)
        return slug, editions[slug].drop_sections

    tally = Tally()
    for result in read_files(paths, date=date, strict=strict, route=route):
        tally.add(result)
        for line in result.warnings:
            typer.echo(f"warning: {line}", err=True)
        if result.error is not None:
            typer.echo(f"error: {result.error}", err=True)
            continue
        for heading in result.dropped_sections:
            typer.echo(f"dropped section {heading!r} (NEWSLETTER_DROP_SECTIONS)", err=True)
        stored = []
        if result.digests:
            with db.transaction(engine) as session:
                chosen = get_edition(session, result.place)
                stored = [
                    store_digest(session, d, source=str(result.path), edition=chosen)
                    for d in result.digests
                ]
        for r in stored:
            action = f"replaced {r.replaced} earlier items" if r.replaced else "new day"
            typer.echo(
                f"{result.path}: {r.edition} {r.date}: imported {r.items} items and "
                f"{r.text_blocks} text blocks in {r.sections} sections ({action})"
            )
            _notes(r.issue_notes)
        if result.skipped is not None:
            typer.echo(result.skipped)
    typer.echo(tally.line())
    if tally.failed:
        raise typer.Exit(2)


@app.command("list")
def list_(
    ctx: typer.Context,
    date: DateOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    edition: EditionOpt = None,
) -> None:
    """List an edition's stored items in digest order."""
    engine = runtime(ctx).engine()
    with db.transaction(engine) as session:
        chosen = get_edition(session, edition)
        day = date.date() if date else None
        items = [item_dict(i) for i in list_items(session, date=day, edition=chosen)]
    if as_json:
        print_json(items)
        return
    rows = [
        [i["date"], i["section"], i["position"], i["title"], len(i["links"]), len(i["images"])]
        for i in items
    ]
    print_table("Items", columns=["date", "section", "#", "title", "links", "images"], rows=rows)

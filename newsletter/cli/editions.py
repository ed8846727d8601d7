"""`newsletter editions ...`: the newsletters of this installation (add, list, show, update,
remove)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from newsletter import db
from newsletter.cli.context import runtime
from newsletter.cli.output import print_json, print_table
from newsletter.editions import (
    FIELDS,
    EditionChange,
    add_edition,
    edition_dict,
    get_edition,
    list_editions,
    remove_edition,
    update_edition,
)

app = typer.Typer(
    help="Editions: several newsletters (e.g. a Chinese and an English daily), each with its "
    "own digest, day, language, list and look.",
    no_args_is_help=True,
)

SlugArg = Annotated[str, typer.Argument(help="The edition's short name, e.g. cn or en.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Text = str | None
NameOpt = Annotated[Text, typer.Option("--name", help="Display name (the email's brand).")]
LanguageOpt = Annotated[Text, typer.Option("--language", help="Language tag, e.g. zh-CN, en.")]
ListOpt = Annotated[Text, typer.Option("--list", help="The list its issues are sent to.")]
SourceOpt = Annotated[
    Text,
    typer.Option(
        "--source",
        help="Digest file, feed URL, or a template with the day: "
        "'content/en/{date:%Y-%m}/{date}.md'.",
    ),
]
TimezoneOpt = Annotated[Text, typer.Option("--timezone", help="IANA zone, e.g. Asia/Shanghai.")]
SendAtOpt = Annotated[Text, typer.Option("--send-at", help="Local send time HH:MM.")]
SenderOpt = Annotated[Text, typer.Option("--sender", help='From, e.g. "AI Daily <a@example.com>".')]
ReplyToOpt = Annotated[Text, typer.Option("--reply-to", help="Reply-To address.")]
BrandOpt = Annotated[Text, typer.Option("--brand-color", help="Hex colour, e.g. #1a73e8.")]
AccentOpt = Annotated[Text, typer.Option("--accent-color", help="Hex colour.")]
LogoOpt = Annotated[Text, typer.Option("--logo-url", help="https URL of the logo.")]
AddressOpt = Annotated[Text, typer.Option("--postal-address", help="Postal address (footer).")]
DropOpt = Annotated[
    list[str] | None,
    typer.Option("--drop-section", help="Regex of section headings to leave out (repeatable)."),
]


WelcomeOpt = Annotated[
    Text,
    typer.Option(
        "--welcome",
        help='Markdown of the welcome email sent once after a confirmed sign-up ("": none).',
    ),
]
WelcomeFileOpt = Annotated[
    Path | None, typer.Option("--welcome-file", help="The welcome email's Markdown from a file.")
]


def _welcome(text: str | None, path: Path | None) -> str | None:
    from newsletter.files import read_text_file

    return read_text_file(path) if path is not None else text


def _change_of(options: Mapping[str, Any]) -> EditionChange:
    """The edition fields that `add` and `update` were given (their options, by name: one
    per field, but ``--drop-section`` repeated and the welcome as text or a file). Options
    not given stay as they are; an empty string puts the setting back in charge."""
    values = {field: options.get(field) for field in FIELDS}
    values["drop_sections"] = options["drop_section"]
    values["welcome"] = _welcome(options["welcome"], options["welcome_file"])
    return EditionChange({k: v for k, v in values.items() if v is not None})


def _print(data: dict[str, Any]) -> None:
    effective = data["effective"]
    flag = " (default)" if data["default"] else ""
    typer.echo(f"{data['slug']}{flag}")
    for key, value in effective.items():
        own = data.get(key)
        origin = "" if own not in (None, []) or key in ("timezone", "send_at") else "  (setting)"
        shown = ", ".join(value) if isinstance(value, list) else ("" if value is None else value)
        typer.echo(f"  {key}: {shown}{origin}")


@app.command()
def add(
    ctx: typer.Context,
    slug: SlugArg,
    name: NameOpt = None,
    language: LanguageOpt = None,
    list_name: ListOpt = None,
    source: SourceOpt = None,
    timezone: TimezoneOpt = None,
    send_at: SendAtOpt = None,
    sender: SenderOpt = None,
    reply_to: ReplyToOpt = None,
    brand_color: BrandOpt = None,
    accent_color: AccentOpt = None,
    logo_url: LogoOpt = None,
    postal_address: AddressOpt = None,
    drop_section: DropOpt = None,
    welcome: WelcomeOpt = None,
    welcome_file: WelcomeFileOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add an edition; what it leaves unset comes from the NEWSLETTER_* settings."""
    change = _change_of(locals())
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        data = edition_dict(add_edition(session, slug, change=change), rt.settings)
    if as_json:
        print_json(data)
        return
    typer.echo(f"added edition {slug!r}")
    _print(data)


@app.command()
def update(
    ctx: typer.Context,
    slug: SlugArg,
    name: NameOpt = None,
    language: LanguageOpt = None,
    list_name: ListOpt = None,
    source: SourceOpt = None,
    timezone: TimezoneOpt = None,
    send_at: SendAtOpt = None,
    sender: SenderOpt = None,
    reply_to: ReplyToOpt = None,
    brand_color: BrandOpt = None,
    accent_color: AccentOpt = None,
    logo_url: LogoOpt = None,
    postal_address: AddressOpt = None,
    drop_section: DropOpt = None,
    welcome: WelcomeOpt = None,
    welcome_file: WelcomeFileOpt = None,
    new_slug: Annotated[Text, typer.Option("--slug", help="Rename the edition.")] = None,
    make_default: Annotated[
        bool, typer.Option("--default", help="Make it the edition used without --edition.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change an edition; an option given as "" goes back to the NEWSLETTER_* setting."""
    change = _change_of(locals())
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        edition = update_edition(
            session, slug, change=change, new_slug=new_slug, make_default=make_default
        )
        data = edition_dict(edition, rt.settings)
    if as_json:
        print_json(data)
        return
    typer.echo(f"updated edition {data['slug']!r}")
    _print(data)


@app.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every edition, the default first."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        editions = [edition_dict(e, rt.settings) for e in list_editions(session)]
    if as_json:
        print_json(editions)
        return
    rows = []
    for e in editions:
        eff = e["effective"]
        when = f"{eff['send_at'] or 'any time'} {eff['timezone']}"
        slug = e["slug"] + (" *" if e["default"] else "")
        rows.append([slug, eff["name"], eff["language"], eff["list_name"], when, eff["source"]])
    print_table(
        "Editions (* default)",
        columns=["edition", "name", "language", "list", "sends", "source"],
        rows=rows,
    )


@app.command()
def show(ctx: typer.Context, slug: SlugArg, as_json: JsonOpt = False) -> None:
    """One edition: each field, and whether it comes from the edition or the settings."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        data = edition_dict(get_edition(session, slug), rt.settings)
    if as_json:
        print_json(data)
    else:
        _print(data)


@app.command()
def remove(ctx: typer.Context, slug: SlugArg, as_json: JsonOpt = False) -> None:
    """Remove an edition that has no issues (its imported digests go with it)."""
    rt = runtime(ctx)
    with db.transaction(rt.engine()) as session:
        remove_edition(session, slug)
    if as_json:
        print_json({"removed": slug})
    else:
        typer.echo(f"removed edition {slug!r}")

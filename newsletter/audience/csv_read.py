"""Reading a subscriber CSV as operators make them, before anything is written.

UTF-8 with or without a BOM; comma or semicolon (whichever the header uses more); quoted
fields (with commas, semicolons or line breaks inside). The header must have an ``email``
column; ``name`` and ``language`` are known; the columns an export adds (list, status,
subscriber_status, subscribed_at, confirmed_at, unsubscribed_at) are ignored, so an export
can be imported again; any other column is kept as an attribute. Bad rows are collected with
their line number and reason (blank lines are skipped: they are not rows); a file that cannot
be read at all raises :class:`~newsletter.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from newsletter.audience.addresses import email_hash, normalize_email
from newsletter.audience.profile import checked_attributes, checked_language, checked_name
from newsletter.errors import InputError

KNOWN_COLUMNS = ("email", "name", "language", "tracking")
#: A cell starting with one of these is a formula to a spreadsheet (CSV injection); some
#: spreadsheets also read the fullwidth forms (＝ ＋ － ＠) as the ASCII ones.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
EXPORT_ONLY_COLUMNS = frozenset(
    {"list", "status", "subscriber_status", "subscribed_at", "confirmed_at", "unsubscribed_at"}
)


@dataclass(frozen=True)
class CsvSubscriber:
    """One valid row: a normalized address and what the file says about the person."""

    line: int
    email: str
    email_hash: str
    name: str
    language: str
    attributes: dict[str, str]
    #: The person's tracking choice from a ``tracking`` column (None: none given).
    tracking: bool | None = None


@dataclass(frozen=True)
class RowProblem:
    """A row that was not imported (or was merged), by physical line number."""

    line: int
    reason: str


@dataclass
class ParsedCsv:
    """The readable part of a file: unique valid rows, and the rows set aside."""

    source: str
    rows: int = 0  # data rows read (the header excluded)
    subscribers: list[CsvSubscriber] = field(default_factory=list)
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    #: Rows imported with a value dropped (a bad language tag is stored empty).
    warnings: list[RowProblem] = field(default_factory=list)


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError("not UTF-8 text", source=source, line=line) from None


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _header(names: list[str], source: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, raw in enumerate(names):
        name = raw.strip()
        if not name:
            continue  # a trailing delimiter; an unnamed column carries nothing we can name
        key = name.lower() if name.lower() in KNOWN_COLUMNS else name
        if key in columns:
            raise InputError(f"column {name!r} appears twice in the header", source=source, line=1)
        columns[key] = index
    if "email" not in columns:
        found = ", ".join(repr(n.strip()) for n in names if n.strip()) or "nothing"
        raise InputError(f"the header has no 'email' column (found {found})", source=source, line=1)
    return columns


def _language(line: int, raw: str, warnings: list[RowProblem]) -> str:
    # A bad tag is not worth losing the person for: it is stored empty (the list's language
    # applies) and reported.
    try:
        return checked_language(raw)
    except InputError as exc:
        warnings.append(RowProblem(line, f"{exc}: stored empty"))
        return ""


_YES = frozenset({"yes", "y", "true", "1", "on", "是"})
_NO = frozenset({"no", "n", "false", "0", "off", "否"})


def _tracking(line: int, raw: str, warnings: list[RowProblem]) -> bool | None:
    # yes/no (true/false, 1/0, on/off); empty follows the list. A value that is neither is
    # not worth losing the person for: it is reported and the list decides.
    value = raw.strip().lower()
    if not value:
        return None
    if value in _YES:
        return True
    if value in _NO:
        return False
    warnings.append(RowProblem(line, f"tracking {raw[:20]!r} is not yes or no: the list decides"))
    return None


def _row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    width: int,
    warnings: list[RowProblem],
) -> CsvSubscriber:
    """One data row; raises InputError (its message is the reason) for a bad one. A bad
    language is stored empty, with a warning added to ``warnings`` (of valid rows only)."""
    if not any(c.strip() for c in cells):
        raise InputError("empty row")
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        raise InputError(f"{len(cells)} fields, but the header has {width}")

    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        # A quoted line break is kept, as one newline whatever the file's line endings.
        value = cells[index].strip().replace("\r\n", "\n").replace("\r", "\n")
        # The apostrophe our export puts before a formula-like cell is not part of the value.
        return value[1:] if value[:1] == "'" and value[1:].startswith(FORMULA_START) else value

    address = normalize_email(cell("email"))
    attributes = checked_attributes(
        {
            name: cell(name)
            for name in columns
            if name not in KNOWN_COLUMNS and name not in EXPORT_ONLY_COLUMNS
        }
    )
    name = checked_name(cell("name"))
    return CsvSubscriber(
        line=line,
        email=address,
        email_hash=email_hash(address),
        name=name,
        language=_language(line, cell("language"), warnings),
        attributes=attributes,
        tracking=_tracking(line, cell("tracking"), warnings),
    )


def read_subscriber_csv(data: bytes, *, source: str) -> ParsedCsv:
    """Parse a whole file (``source`` names it in messages). Duplicates keep the first row."""
    text = _decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        names = next(reader, None)
        if names is None:
            raise InputError(
                "the file is empty: expected a header with an 'email' column", source=source
            )
        columns = _header(names, source)
        parsed = ParsedCsv(source=source)
        first_line: dict[str, int] = {}
        end_of_previous = reader.line_num
        for cells in reader:
            # A quoted field can span lines: a row starts after the previous one ended.
            line, end_of_previous = end_of_previous + 1, reader.line_num
            if not cells:
                continue  # a blank line is not a row (rows of empty fields are reported)
            parsed.rows += 1
            try:
                row = _row(line, cells, columns, len(names), parsed.warnings)
            except InputError as exc:
                parsed.invalid.append(RowProblem(line, str(exc)))
                continue
            if row.email_hash in first_line:
                parsed.duplicates.append(
                    RowProblem(line, f"duplicate of line {first_line[row.email_hash]}")
                )
                continue
            first_line[row.email_hash] = line
            parsed.subscribers.append(row)
    except csv.Error as exc:
        raise InputError(f"unreadable CSV: {exc}", source=source, line=reader.line_num) from None
    return parsed

"""The day of a digest: dates as written in titles, headings, front matter and paths.

Digests write their day in many forms: ``2025-10-15``, ``2025/10/15``, ``2025.10.15``,
``2025年10月15日``, ``June 14, 2025``, ``14 June 2025``; or only a month and a day
(``10月15日``, a title ``12-30-日报``, ``June 14``) whose year is elsewhere, usually in the
site's path (``content/cn/2025-12/2025-12-30.md``). :func:`resolve_day` weighs every place
that names a day and picks one; the finders here only read one string each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import unquote, urlsplit

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
#: Year first, numeric or Chinese: 2025-10-15, 2025/10/15, 2025.10.15, 2025年10月15日.
_YMD = re.compile(
    r"(?<!\d)(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"
    r"(?:日(?![刊报]))?"
)
#: English month names: "June 14, 2025", "Jun 14th 2025", "14 June 2025", "14th of June, 2025".
_MDY = re.compile(rf"(?<![a-z]){_MONTH}\s+(?P<d>\d{{1,2}}){_ORD},?\s+(?P<y>\d{{4}})(?!\d)", re.I)
_DMY = re.compile(
    rf"(?<!\d)(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})(?!\d)", re.I
)
#: A month and a day only: 10月15日, "June 14", "14 June".
_CN_MD = re.compile(r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]")
_EN_MD = re.compile(rf"(?<![a-z]){_MONTH}\s+(?P<d>\d{{1,2}}){_ORD}(?![\d:])", re.I)
_EN_DM = re.compile(rf"(?<![\d.])(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH}(?![a-z])", re.I)
#: A title that starts with its month and day: "12-30-日报", "06-14-Daily AI News".
_MD_LEAD = re.compile(r"^\s*(?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d/.]|-\d)")
#: In a file name only: 20251015 (a date too compact to trust in prose).
_COMPACT = re.compile(r"(?<!\d)(?P<y>20\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
#: In folders: 2025-06, 2025_06, 202506 (year and month), 2025 (a year).
_YEAR_MONTH = re.compile(r"^(?P<y>(?:19|20)\d{2})[-_.]?(?P<m>[01]?\d)$")
_YEAR = re.compile(r"^(?P<y>(?:19|20)\d{2})$")
_NUMBER = re.compile(r"^(?P<n>\d{1,2})$")
#: File names that stand for their folder (Hugo page bundles, indexes).
_INDEX_NAMES = frozenset({"index", "_index", "readme"})


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class DateSpan:
    """A full date found in a text, with where it stands (``start``, ``end``)."""

    date: dt.date
    start: int
    end: int


def _month(name: str) -> int:
    return _MONTHS[name[:3].lower()]


def date_spans(text: str) -> Iterator[DateSpan]:
    """Every valid full date (year, month and day) of ``text``, in order of position."""
    found: list[DateSpan] = []
    for m in _YMD.finditer(text):
        if (day := _date(int(m["y"]), int(m["m"]), int(m["d"]))) is not None:
            found.append(DateSpan(day, m.start(), m.end()))
    for pattern in (_MDY, _DMY):
        for m in pattern.finditer(text):
            if (day := _date(int(m["y"]), _month(m["mon"]), int(m["d"]))) is not None:
                found.append(DateSpan(day, m.start(), m.end()))
    return iter(sorted(found, key=lambda s: s.start))


def find_date(text: str) -> dt.date | None:
    """The first valid full date of ``text`` in any of the forms above."""
    return next((s.date for s in date_spans(text)), None)


def find_month_day(text: str, *, lead: bool = False) -> tuple[int, int] | None:
    """The first month and day written without a year (``10月15日``, ``June 14``); with
    ``lead``, also a title's leading ``MM-DD`` (``12-30-日报``)."""
    hits: list[tuple[int, tuple[int, int]]] = []
    if lead and (m := _MD_LEAD.match(text)):
        hits.append((m.start(), (int(m["m"]), int(m["d"]))))
    hits += [(m.start(), (int(m["m"]), int(m["d"]))) for m in _CN_MD.finditer(text)]
    hits += [(m.start(), (_month(m["mon"]), int(m["d"]))) for m in _EN_MD.finditer(text)]
    hits += [(m.start(), (_month(m["mon"]), int(m["d"]))) for m in _EN_DM.finditer(text)]
    for _, (month, day) in sorted(hits):
        if _date(2000, month, day) is not None:  # 2000 is a leap year: 02-29 stays possible
            return month, day
    return None


@dataclass(frozen=True)
class PathDate:
    """What a file's path (or a URL's path) says about its day: a full date, or at least a
    year (and month) from its folders to complete a month-day found elsewhere."""

    date: dt.date | None = None
    year: int | None = None
    month: int | None = None


def _path_parts(source: str) -> list[str]:
    if source.lower().startswith(("http://", "https://")):
        path = unquote(urlsplit(source).path)
        parts = [p for p in PurePosixPath(path).parts if p not in ("/", "")]
    else:
        win = PureWindowsPath(source)  # also splits POSIX paths ("/" is a separator there)
        parts = [p for p in win.parts if p not in ("/", "\\") and not p.endswith((":\\", ":"))]
    if parts:
        last = parts[-1]
        parts[-1] = last[: last.rindex(".")] if "." in last.lstrip(".") else last
    return parts


def path_date(source: str) -> PathDate:
    """The day (or year and month) a file name and its folders give: ``daily/2026-01-05.md``,
    ``content/en/2025-06/2025-06-14.md``, ``2025/06/14.md``, ``content/cn/2025-12/12-30.md``,
    ``posts/2025-06-14/index.md``, or a URL's path."""
    parts = _path_parts(source)
    if not parts:
        return PathDate()
    *folders, stem = parts
    if stem.lower() in _INDEX_NAMES and folders:
        stem = folders.pop()
    year: int | None = None
    month: int | None = None
    # The nearest folders first: content/2024/archive/2025-06/ is of 2025-06.
    for n, folder in enumerate(reversed(folders[-3:])):
        if year is not None:
            break
        if (m := _YEAR_MONTH.match(folder)) and 1 <= int(m["m"]) <= 12:
            year, month = int(m["y"]), int(m["m"])
            continue
        if m := _YEAR.match(folder):
            year = int(m["y"])
            # 2025/06/: the month is the folder after the year.
            after = list(reversed(folders[-3:]))[:n]
            if after and (num := _NUMBER.match(after[-1])) and 1 <= int(num["n"]) <= 12:
                month = int(num["n"])
    if (day := find_date(stem)) is not None:
        return PathDate(day, day.year, day.month)
    compact = _COMPACT.search(stem)
    if compact and (day := _date(*(int(compact[k]) for k in "ymd"))) is not None:
        return PathDate(day, day.year, day.month)
    if year is not None:
        if (md := find_month_day(stem, lead=True)) is not None:
            return PathDate(_date(year, *md), year, md[0])
        if month is not None and (num := _NUMBER.match(stem)):
            return PathDate(_date(year, month, int(num["n"])), year, month)
    if (day := find_date("/".join([*folders[-3:], stem]))) is not None:
        return PathDate(day, day.year, day.month)
    return PathDate(None, year, month)


@dataclass(frozen=True)
class DayClue:
    """One place that names the day: ``origin`` says which ("the title", "the file name"),
    ``line`` where it stands (None for the path); ``written`` is False when the year was
    taken from elsewhere (a month-day title), which makes it less specific."""

    origin: str
    date: dt.date
    line: int | None
    written: bool = True


@dataclass(frozen=True)
class DayText:
    """A text that may name the day (the title, a heading), with where it is."""

    origin: str
    text: str
    line: int
    #: A title may start with MM-DD ("12-30-日报"); in other text that is too loose.
    lead: bool = False


@dataclass(frozen=True)
class Day:
    """The chosen day and, when the places that name one disagree, the warning to give."""

    date: dt.date
    line: int | None
    conflict: str | None = None


def day_clues(
    *, front_matter: dt.date | None, texts: Sequence[DayText], source: str
) -> list[DayClue]:
    """Every day named by the front matter, ``texts`` (in order) and the path, month-days
    completed with a year from the path, else from the first full date found."""
    clues: list[DayClue] = []
    if front_matter is not None:
        clues.append(DayClue("the front matter", front_matter, 1))
    partial: list[tuple[DayText, tuple[int, int]]] = []
    for t in texts:
        if (day := find_date(t.text)) is not None:
            clues.append(DayClue(t.origin, day, t.line))
        elif (md := find_month_day(t.text, lead=t.lead)) is not None:
            partial.append((t, md))
    where = path_date(source) if source else PathDate()
    if where.date is not None:
        clues.append(DayClue("the file name", where.date, None))
    year = where.year or next((c.date.year for c in clues), None)
    if year is not None:
        for t, (month, mday) in partial:
            if (day := _date(year, month, mday)) is not None:
                clues.append(DayClue(t.origin, day, t.line, written=False))
    return clues


def choose_day(clues: Sequence[DayClue]) -> Day | None:
    """The day of ``clues``: the most specific one (a full date as written beats a month-day
    whose year was borrowed), the first in order among equals; a disagreement is described
    in one line."""
    if not clues:
        return None
    best = max(clues, key=lambda c: (c.written, -clues.index(c)))
    others = [c for c in clues if c.date != best.date]
    conflict = None
    if others:
        named = "; ".join(f"{c.date.isoformat()} in {c.origin}" for c in [best, *others])
        conflict = f"the day is not the same everywhere ({named}): {best.date.isoformat()} used"
    return Day(best.date, best.line, conflict)


__all__ = [
    "DateSpan",
    "Day",
    "DayClue",
    "DayText",
    "PathDate",
    "choose_day",
    "date_spans",
    "day_clues",
    "find_date",
    "find_month_day",
    "path_date",
]

"""Many digest files at once: a folder (a site's whole ``content/`` tree) or several files.

:func:`read_files` reads them one at a time (a site's eight months are hundreds of files:
only one is held in memory) and gives one :class:`FileResult` each, in path order. A file
that fails does not stop the others; a page found in a folder that is not a digest (about,
contact, a section index) is skipped, not failed; a day already read from an earlier file
of the same import is skipped with one line naming that file. Nothing is written here: the
caller stores each result's digests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from newsletter.digest import Digest, read_digests
from newsletter.digest.errors import NotADigestError
from newsletter.errors import InputError

#: The files a folder import reads: a site's content tree is Markdown (its feeds and JSON,
#: and other data files, are named one by one).
SUFFIXES = frozenset({".md", ".markdown"})


@dataclass(frozen=True)
class FileResult:
    """What one file gave: the digests to store (none when it was skipped or failed), its
    warning lines and dropped sections, and why it was skipped or how it failed (one line)."""

    path: Path
    digests: list[Digest] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dropped_sections: list[str] = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None
    #: Where its days go (the ``route``'s answer: an edition's slug; "" without a route).
    place: str = ""

    @property
    def failed(self) -> bool:
        """True when the file was meant to be imported and could not be."""
        return self.error is not None

    @property
    def outcome(self) -> str:
        """``imported`` (it has digests to store), ``skipped`` or ``failed``."""
        if self.error is not None:
            return "failed"
        return "imported" if self.digests else "skipped"


@dataclass
class Tally:
    """How many files of an import were imported, skipped and failed."""

    imported: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, result: FileResult) -> None:
        """Count ``result`` under its outcome."""
        setattr(self, result.outcome, getattr(self, result.outcome) + 1)

    def line(self) -> str:
        """One line: "450 files: 447 imported, 2 skipped, 1 failed"."""
        total = self.imported + self.skipped + self.failed
        return (
            f"{total} file{'s' if total != 1 else ''}: {self.imported} imported, "
            f"{self.skipped} skipped, {self.failed} failed"
        )


def is_many(paths: Sequence[Path]) -> bool:
    """True when ``paths`` is more than one file, or a folder: a many-file import."""
    return len(paths) != 1 or paths[0].is_dir()


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def digest_files(paths: Sequence[Path]) -> list[tuple[Path, bool]]:
    """Each file to read and whether it was found in a folder (True) or named (False):
    a folder's digest files recursively, sorted, hidden ones (``.git``) left out. A folder
    with none is :class:`InputError`."""
    out: list[tuple[Path, bool]] = []
    for path in paths:
        if not path.is_dir():
            out.append((path, False))
            continue
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in SUFFIXES and p.is_file() and not _hidden(p, path)
        )
        if not found:
            suffixes = ", ".join(sorted(SUFFIXES))
            raise InputError(f"no digest files ({suffixes}) in the folder", source=str(path))
        out += [(p, True) for p in found]
    return out


def read_files(
    paths: Sequence[Path],
    *,
    date: dt.date | None = None,
    drop_sections: Sequence[str] = (),
    strict: bool = False,
    route: Callable[[Path], tuple[str, Sequence[str]]] | None = None,
) -> Iterator[FileResult]:
    """Read every digest file of ``paths`` (files and folders), one result per file.

    ``date`` (``--date``) names one file's day: with more than one file it is
    :class:`InputError`, as each file carries its own day. With ``strict``, a file whose
    import needed a repair fails and gives no digests. ``route`` tells, per file, where its
    days go (an edition) and the drop-sections rules there: one digest a day per place.
    """
    files = digest_files(paths)
    if date is not None and len(files) > 1:
        raise InputError(
            f"--date gives the day of one file, and there are {len(files)}: "
            "each file's day is read from it"
        )
    days: dict[tuple[str, dt.date], Path] = {}
    for path, in_folder in files:
        place, drop = route(path) if route is not None else ("", drop_sections)
        try:
            parsed = read_digests(path, date=date, drop_sections=drop)
        except NotADigestError as exc:
            if in_folder:
                yield FileResult(path, skipped=f"{exc} (skipped)")
            else:
                yield FileResult(path, error=str(exc))
            continue
        except InputError as exc:
            yield FileResult(path, error=str(exc))
            continue
        if strict and parsed.warnings:
            count = len(parsed.warnings)
            error = f"{path}: {count} warning{'s' if count > 1 else ''} and --strict: not imported"
            yield FileResult(path, warnings=parsed.warnings, error=error)
            continue
        digests: list[Digest] = []
        repeated: list[str] = []
        for digest in parsed.digests:
            if (first := days.get((place, digest.date))) is not None:
                repeated.append(f"{digest.date.isoformat()} was already read from {first}")
                continue
            days[(place, digest.date)] = path
            digests.append(digest)
        skipped = None
        if repeated:
            skipped = f"{path}: skipped: " + "; ".join(repeated) + " (one digest a day)"
        yield FileResult(
            path,
            place=place,
            digests=digests,
            warnings=parsed.warnings,
            dropped_sections=parsed.dropped_sections,
            skipped=skipped,
        )


__all__ = ["SUFFIXES", "FileResult", "Tally", "digest_files", "is_many", "read_files"]

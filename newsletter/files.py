"""Writing files all or nothing: the one atomic write that every writer of files uses.

A file is written beside its target under a hidden temporary name (``.NAME.XXXX.tmp``, so
that nobody looking for ``*.eml`` or ``*.html`` sees a partial file) and renamed over the
target only once it is complete: a crash or an error leaves the old file (or none), never
half of a new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from newsletter.errors import InputError


def _temporary(target: Path) -> tuple[int, Path]:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    return fd, Path(name)


@contextmanager
def atomic_text(target: Path) -> Iterator[TextIO]:
    """A UTF-8 text file (newlines as written) whose content replaces ``target`` when the
    block ends without an error; on any error the temporary file is removed and ``target``
    is untouched. Raises :class:`OSError`."""
    fd, tmp = _temporary(target)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(target: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``target`` all or nothing. Raises :class:`OSError`."""
    write_files({target: data})


def write_files(contents: Mapping[Path, str | bytes]) -> None:
    """Write every file (text as UTF-8), or none: each is written beside its target first,
    and the targets are replaced only when all were written. Raises :class:`OSError`."""
    written: list[tuple[Path, Path]] = []
    try:
        for target, data in contents.items():
            fd, tmp = _temporary(target)
            written.append((tmp, target))
            raw = data.encode("utf-8") if isinstance(data, str) else data
            with os.fdopen(fd, "wb") as fh:
                fh.write(raw)
        for tmp, target in written:
            tmp.replace(target)
    finally:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)


def read_text_file(path: Path) -> str:
    """A UTF-8 text file people wrote (a BOM is dropped); :class:`InputError` naming the
    file when it cannot be read or is not UTF-8."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", source=str(path)) from None

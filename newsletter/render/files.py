"""Writing rendered output files all or nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_files(contents: dict[Path, str]) -> None:
    """Write every file (UTF-8), or none: each is written beside its target first, and the
    targets are replaced only when all were written."""
    written: list[tuple[Path, Path]] = []
    try:
        for target, text in contents.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            written.append((Path(tmp), target))
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        for tmp_path, target in written:
            tmp_path.replace(target)
    finally:
        for tmp_path, _ in written:
            tmp_path.unlink(missing_ok=True)

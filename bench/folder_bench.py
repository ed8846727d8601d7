"""A site's folder of 450 days imported at once, and every real file imported whole.

Part 1 (folder): a Hugo-like tree ``content/cn/YYYY-MM/YYYY-MM-DD.md`` of 450 days, made from
the real samples in turn (each one's own day rewritten to the file's day, in every form it
writes it), plus a few pages that are not digests. It is imported by ``newsletter items
import FOLDER`` in a fresh process on a fresh SQLite file: wall time and peak RSS. Baselines,
measured in the same run: the same command on one day's file (the fixed cost: Python, the
package, migrations), and, in-process, the per-file loop of today's single-file import
(``read_digests`` then ``store_digest`` in a transaction, file by file) over the same 450
files; the ratio folder / loop is what the folder import adds on top of importing each file.

Part 2 (real files): every Markdown file under the real samples (recursively;
``/work/shared/samples/real`` when it is there, else the repository's copy): imported,
composed and rendered; the share of its visible text found in the rendered text part and
whether every http(s) link is there (tests/support/digest_text.py, as the sample tests).

    .venv/bin/python -m bench.folder_bench [--days 450] [--real DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from newsletter import db
from newsletter.compose import issue_from_digest
from newsletter.digest import read_digests
from newsletter.digest.dates import find_date, find_month_day
from newsletter.items import store_digest
from newsletter.render import render_issue
from newsletter.settings import Settings
from tests.support.digest_text import coverage, source_links, visible_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples"
SHARED_REAL = Path("/work/shared/samples/real")


def _real_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.md") if p.name != "README.md")


def _sample_day(path: Path) -> dt.date:
    day = find_date(path.stem)
    assert day is not None, path
    return day


def _forms(day: dt.date) -> list[str]:
    """The ways the samples write their day, longest first."""
    return [
        f"{day:%B} {day.day}, {day.year}",
        f"{day:%Y-%m-%d}",
        f"{day:%Y/%m/%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day:%m-%d}-",
    ]


def _redate(text: str, old: dt.date, new: dt.date) -> str:
    for before, after in zip(_forms(old), _forms(new), strict=True):
        text = text.replace(before, after)
    return text


def make_site(root: Path, *, days: int, samples: list[Path]) -> Path:
    """``content/`` with ``days`` daily files (from 2025-01-01) and four pages."""
    content = root / "content"
    start = dt.date(2025, 1, 1)
    texts = [(p.read_text(encoding="utf-8"), _sample_day(p)) for p in samples]
    for n in range(days):
        day = start + dt.timedelta(days=n)
        text, own = texts[n % len(texts)]
        path = content / "cn" / f"{day:%Y-%m}" / f"{day:%Y-%m-%d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_redate(text, own, day), encoding="utf-8")
    for page in ("about", "contact", "privacy", "terms"):
        shutil.copy(SAMPLES / "pages" / f"{page}.md", content / "cn" / f"{page}.md")
    return content


def _cli(args: list[str], *, db_path: Path) -> tuple[float, int, str, int]:
    """Wall seconds, peak RSS (KB), stdout's last line and the count of warning lines of
    ``newsletter ARGS``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NEWSLETTER_DATABASE_URL": f"sqlite:///{db_path}",
        "NEWSLETTER_BASE_URL": "https://news.example.com",
        "NEWSLETTER_SENDER": "AI 日报 <news@example.com>",
    }
    code = (
        "import resource, sys\n"
        "from newsletter.cli import app\n"
        "try:\n"
        "    app(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    print(f'PEAK {peak}', file=sys.stderr)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    peak = int(re.findall(r"PEAK (\d+)", proc.stderr)[-1])
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
    return wall, peak, last, proc.stderr.count("warning: ")


def _migrate(db_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{db_path}")
    db.upgrade(engine)
    engine.dispose()


def _loop(files: list[Path], *, db_path: Path) -> float:
    """The baseline: today's single-file import, file by file, in this process."""
    engine = db.make_engine(f"sqlite:///{db_path}")
    t0 = time.perf_counter()
    for path in files:
        parsed = read_digests(path)
        with db.transaction(engine) as session:
            for digest in parsed.digests:
                store_digest(session, digest, source=str(path))
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def folder_part(days: int, samples: list[Path]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        content = make_site(root, days=days, samples=samples)
        files = sorted((content / "cn").rglob("????-??-??.md"))
        size = sum(p.stat().st_size for p in files)
        one = root / "one.db"
        many = root / "many.db"
        loop = root / "loop.db"
        for path in (one, many, loop):
            _migrate(path)
        # The command on one day: Python, the package, the database; then the folder.
        one_wall, one_peak, one_last, _ = _cli(["items", "import", str(files[0])], db_path=one)
        wall, peak, last, warnings = _cli(["items", "import", str(content)], db_path=many)
        loop_s = _loop(files, db_path=loop)
        fixed = one_wall
        print(f"files: {len(files)} days ({size / 1024:.0f} KB) + 4 pages")
        print(f"one day, CLI: {one_wall:.2f} s, peak RSS {one_peak / 1024:.0f} MB ({one_last})")
        print(f"folder, CLI: {wall:.2f} s, peak RSS {peak / 1024:.0f} MB ({last})")
        print(f"  {warnings} warning lines (the samples' own: <video>, no title line, fence)")
        print(f"per-file loop in process (baseline): {loop_s:.2f} s")
        print(
            f"ratio folder (less the one-day command's fixed cost) / per-file loop: "
            f"{(wall - fixed) / loop_s:.2f}"
        )
        print(f"ratio peak RSS folder / one day: {peak / one_peak:.2f}")
        print(f"per day: {(wall - fixed) / len(files) * 1000:.1f} ms")


def real_part(real: Path) -> None:
    settings = Settings(
        base_url="https://news.example.com",
        sender="AI 日报 <news@example.com>",
        _env_file=None,
    )
    print(f"real files under {real}:")
    whole = 0
    files = _real_files(real)
    for path in files:
        result = read_digests(path)
        text = "\n".join(render_issue(issue_from_digest(d), settings).text for d in result.digests)
        share = coverage(visible_text(path), text)
        links = source_links(path)
        missing = [u for u in links if u not in text]
        ok = share >= 0.95 and not missing
        whole += ok
        print(
            f"  {path.relative_to(real)}: {share:.1%} of the visible text, "
            f"{len(links) - len(missing)}/{len(links)} links, {len(result.warnings)} warnings"
            f"{'' if ok else '  NOT WHOLE'}"
        )
    print(f"  whole: {whole} of {len(files)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=450)
    parser.add_argument("--real", type=Path, default=None)
    args = parser.parse_args()
    real = args.real or (SHARED_REAL if SHARED_REAL.is_dir() else SAMPLES / "real")
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    samples = _real_files(SAMPLES / "real")
    # A sample whose day is not in its name cannot be re-dated reliably; all of ours have it.
    samples = [p for p in samples if find_date(p.stem) or find_month_day(p.stem, lead=True)]
    folder_part(args.days, samples)
    real_part(real)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()

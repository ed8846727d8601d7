"""Digest import + render: the structure-driven importer against the earlier line parser.

Both are measured in this run. The earlier code (the line-by-line parser and the renderer of
its day) is taken from git history, commit ``BASELINE_COMMIT``, into a temporary directory and
run in a subprocess on the samples it knew (2025-08-14 and 2026-01-20); today's code runs on
the largest real sample (2025-12-23, ``##``/``###`` headings, prose sections, numbered
headings, a table) and on the same old samples. Times are per KB of input, so files of
different sizes compare: the ratio today / earlier must stay under 2.

Memory: peak RSS of one import of a file near the size limit (a 1 MB digest made of the
real sample's items), in a fresh subprocess, against the process's RSS before the import.

    .venv/bin/python -m bench.digest_bench [--runs 15] [--baseline-commit HASH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples"
OLD_SAMPLES = [SAMPLES / "ai-daily-2025-08-14.md", SAMPLES / "ai-daily-2026-01-20.md"]
LARGEST_REAL = SAMPLES / "real" / "ai-daily-2025-12-23.md"
#: The last commit with the line-by-line parser.
BASELINE_COMMIT = "d275540"

#: Run in a subprocess (old or new code on PYTHONPATH): median seconds of import + compose in
#: memory + render, per file, as JSON.
TIMER = r"""
import json, statistics, sys, time
from pathlib import Path
from newsletter.compose import issue_from_digest
from newsletter.digest import load_digests
from newsletter.render import render_issue
from newsletter.settings import Settings

settings = Settings(
    base_url="https://news.example.com", sender="AI <news@example.com>", _env_file=None
)
runs = int(sys.argv[1])
out = {}
for name in sys.argv[2:]:
    path = Path(name)
    def once():
        t0 = time.perf_counter()
        digests = load_digests(path)
        t1 = time.perf_counter()
        for digest in digests:
            render_issue(issue_from_digest(digest), settings)
        return t1 - t0, time.perf_counter() - t1
    once()
    times = [once() for _ in range(runs)]
    out[name] = [statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)]
print(json.dumps(out))
"""

MEMORY = r"""
import json, resource, sys
from pathlib import Path
from newsletter.digest import read_digests
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result = read_digests(Path(sys.argv[1]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "after_kb": after, "items": result.digests[0].item_count}))
"""


def run_timer(code_dir: Path, files: list[Path], runs: int) -> dict[str, list[float]]:
    """Median [import, render] seconds per file, with the code at ``code_dir``."""
    env = {**os.environ, "PYTHONPATH": str(code_dir)}
    env = {k: v for k, v in env.items() if not k.startswith("NEWSLETTER_")}
    done = subprocess.run(
        [sys.executable, "-c", TIMER, str(runs), *map(str, files)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=code_dir,
    )
    return {Path(k).name: v for k, v in json.loads(done.stdout).items()}


def baseline_tree(commit: str, into: Path) -> Path:
    """The repository at ``commit``, extracted into ``into``."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def big_digest(path: Path, size: int) -> Path:
    """A digest of about ``size`` bytes: the real sample's numbered items, repeated."""
    src = LARGEST_REAL.read_text(encoding="utf-8")
    head, rest = src.split("## **🔥 必看 TOP 10 (图文深度)**", 1)
    body = rest.split("## **📂 分类速览**")[0]
    parts = [head, "## **🔥 必看 TOP 10 (图文深度)**\n"]
    total = len(head.encode())
    while total + len(body.encode()) < size:
        parts.append(body)
        total += len(body.encode())
    path.write_text("".join(parts), encoding="utf-8")
    return path


def peak_memory(path: Path) -> dict[str, int]:
    """RSS before and at the peak of one import of ``path``, in a fresh process."""
    done = subprocess.run(
        [sys.executable, "-c", MEMORY, str(path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    data: dict[str, int] = json.loads(done.stdout)
    return data


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    args = parser.parse_args()
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        old_dir = baseline_tree(args.baseline_commit, Path(tmp) / "baseline")
        start = time.perf_counter()
        old = run_timer(old_dir, OLD_SAMPLES, args.runs)
        new = run_timer(ROOT, [*OLD_SAMPLES, LARGEST_REAL], args.runs)
        elapsed = time.perf_counter() - start
        from newsletter.digest import MAX_BYTES

        big = big_digest(Path(tmp) / "big.md", MAX_BYTES - 4096)
        memory = peak_memory(big)
    kb = {p.name: p.stat().st_size / 1024 for p in [*OLD_SAMPLES, LARGEST_REAL]}
    print(f"import + render, median of {args.runs} (baseline {args.baseline_commit}):")
    print(
        f"  {'file':<26} {'KB':>6} {'earlier import+render ms':>25} "
        f"{'today import+render ms':>23} {'today ms/KB':>12}"
    )
    for name in kb:
        before = f"{old[name][0] * 1e3:.1f} + {old[name][1] * 1e3:.1f}" if name in old else "-"
        today = f"{new[name][0] * 1e3:.1f} + {new[name][1] * 1e3:.1f}"
        print(
            f"  {name:<26} {kb[name]:6.1f} {before:>25} {today:>23} "
            f"{sum(new[name]) * 1e3 / kb[name]:12.2f}"
        )
    old_per_kb = sum(sum(v) for v in old.values()) / sum(kb[n] for n in old) * 1e3
    new_per_kb = sum(new[LARGEST_REAL.name]) / kb[LARGEST_REAL.name] * 1e3
    print(f"earlier parser on the old samples: {old_per_kb:.2f} ms/KB")
    print(f"today on the largest real sample:  {new_per_kb:.2f} ms/KB")
    print(f"ratio today / earlier per KB: {new_per_kb / old_per_kb:.2f} (limit 2)")
    size_kb = big.stat().st_size if big.exists() else MAX_BYTES
    grown = memory["after_kb"] - memory["before_kb"]
    print(
        f"memory: a {size_kb / 1024 / 1024:.2f} MB digest ({memory['items']} items) raised the "
        f"peak RSS by {grown / 1024:.0f} MB ({grown * 1024 / size_kb:.0f}x the file), "
        f"from {memory['before_kb'] / 1024:.0f} MB to {memory['after_kb'] / 1024:.0f} MB"
    )
    print(f"({elapsed:.0f} s of timing)")


if __name__ == "__main__":
    main()

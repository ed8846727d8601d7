"""Start-up time of the `newsletter` command, against a bare ``python -c pass`` baseline.

Each command runs ``--runs`` times in a fresh subprocess (the same interpreter as this
script, so the virtual environment's); the median and the minimum wall time are printed,
with the median's ratio to the baseline. Nothing here touches a real database: `items list`
runs on a scratch SQLite file, migrated once before the timings.

Bytecode: by default the runs may cache compiled modules, as an installed package does
(in a scratch ``PYTHONPYCACHEPREFIX``, so nothing is written into the checkout); with
``--no-bytecode`` every run compiles the project's modules again, as in an environment with
``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` (this development container).

    .venv/bin/python -m bench.startup_bench [--runs 15] [--no-bytecode]

The test ``tests/cli/test_cli_imports.py`` guards the structure (which modules the CLI
imports at start-up); this script measures the result, which depends on the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "import newsletter.cli": ["-c", "import newsletter.cli"],
    "newsletter --help": ["-m", "newsletter", "--help"],
    "newsletter items list": ["-m", "newsletter", "items", "list"],
}


def _time_runs(args: list[str], *, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, *args],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Time every command of :data:`COMMANDS` and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode", action="store_true", help="Compile on every run.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
        env["NEWSLETTER_DATABASE_URL"] = f"sqlite:///{Path(scratch) / 'bench.db'}"
        if args.no_bytecode:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        print("bytecode:", "compiled on every run" if args.no_bytecode else "cached")
        subprocess.run(
            [sys.executable, "-m", "newsletter", "db", "upgrade"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"{'command':<24} {'median s':>9} {'min s':>7} {'median/base':>12}")
        base: float | None = None
        for name, command in COMMANDS.items():
            _time_runs(command, runs=1, env=env)  # warm the file cache and .pyc files
            times = _time_runs(command, runs=args.runs, env=env)
            median = statistics.median(times)
            base = base or median
            print(f"{name:<24} {median:>9.3f} {min(times):>7.3f} {median / base:>12.1f}")
        load = os.getloadavg()
        print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

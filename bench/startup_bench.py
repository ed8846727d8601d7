"""Start-up time of the `newsletter` command, against a bare ``python -c pass`` baseline.

Each command runs ``--runs`` times in a fresh subprocess (the same interpreter as this
script, so the virtual environment's); the median and the minimum wall time are printed,
with the median's ratio to the baseline. Nothing here touches a real database: `items list`
runs on a scratch SQLite file, migrated once before the timings.

Bytecode: by default the runs may cache compiled modules, as an installed package does
(in a scratch ``PYTHONPYCACHEPREFIX``, so nothing is written into the checkout); with
``--no-bytecode`` every run compiles the project's modules again, as in an environment with
``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` (this development container).

    .venv/bin/python -m bench.startup_bench [--runs 15] [--no-bytecode] [--before DIR]

``--before DIR`` compares with another version of the code: a copy of its ``newsletter``
and ``emails`` folders in DIR (``git archive HEAD newsletter emails | tar -x -C DIR``). Each
command then runs from DIR too (its working directory, so that the copy is imported before
the installed checkout), one run there and one here in turn, so that both see the same load;
each version gets its own scratch database, migrated by that version.

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


#: This checkout (what ``python -m newsletter`` imports when run from here).
HERE = Path(__file__).resolve().parent.parent


def _run_once(args: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _time_runs(
    args: list[str], *, runs: int, versions: dict[str, tuple[Path, dict[str, str]]]
) -> dict[str, list[float]]:
    """``runs`` timings of ``args`` per version, the versions taking turns."""
    for cwd, env in versions.values():
        _run_once(args, cwd=cwd, env=env)  # warm the file cache and .pyc files
    times: dict[str, list[float]] = {name: [] for name in versions}
    for _ in range(runs):
        for name, (cwd, env) in versions.items():
            times[name].append(_run_once(args, cwd=cwd, env=env))
    return times


def main() -> None:
    """Time every command of :data:`COMMANDS` and print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-bytecode", action="store_true", help="Compile on every run.")
    parser.add_argument(
        "--before", type=Path, help="A copy of another version's newsletter/ to compare with."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
        if args.no_bytecode:
            base_env["PYTHONDONTWRITEBYTECODE"] = "1"
        else:
            base_env.pop("PYTHONDONTWRITEBYTECODE", None)
            base_env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        print("bytecode:", "compiled on every run" if args.no_bytecode else "cached")
        trees = {"before": args.before.resolve(), "after": HERE} if args.before else {"here": HERE}
        versions: dict[str, tuple[Path, dict[str, str]]] = {}
        for name, tree in trees.items():
            url = f"sqlite:///{Path(scratch) / f'bench-{name}.db'}"
            env = {**base_env, "NEWSLETTER_DATABASE_URL": url}
            subprocess.run(
                [sys.executable, "-m", "newsletter", "db", "upgrade"],
                cwd=tree,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            versions[name] = (tree, env)
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        print(f"{'command':<24} {'version':<7} {'median s':>9} {'min s':>7} {'median/base':>12}")
        base: dict[str, float] = {}
        for command_name, command in COMMANDS.items():
            timed = _time_runs(command, runs=args.runs, versions=versions)
            for name, times in timed.items():
                median = statistics.median(times)
                base.setdefault(name, median)
                print(
                    f"{command_name:<24} {name:<7} {median:>9.3f} {min(times):>7.3f} "
                    f"{median / base[name]:>12.1f}"
                )
        load = os.getloadavg()
        print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()

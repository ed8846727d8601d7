"""`make demo`: the whole main job on the sample digest, in a scratch folder.

Runs the real CLI commands, one after another, against a fresh SQLite database in ``--dir``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "samples"
DIGEST = SAMPLES / "ai-daily-2025-08-14.md"


def _run(env: dict[str, str], *args: str) -> None:
    print(f"\n$ newsletter {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "newsletter", *args], env=env, check=True)


def main() -> None:
    """Run the demo; exits non-zero if any step fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("demo"))
    args = parser.parse_args()
    work: Path = args.dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSLETTER_")}
    env.update(
        NEWSLETTER_DATABASE_URL=f"sqlite:///{work / 'newsletter.db'}",
        NEWSLETTER_BASE_URL="http://127.0.0.1:8000",
        NEWSLETTER_SENDER="AI 日报 <news@example.com>",
        NEWSLETTER_SECRET_KEY=secrets.token_urlsafe(32),
    )
    _run(env, "db", "upgrade")
    _run(env, "items", "import", str(DIGEST))
    _run(env, "issue", "compose", "--date", "2025-08-14")
    print(f"\nDemo database: {work / 'newsletter.db'}")


if __name__ == "__main__":
    main()

"""Where the repository's sample files are."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "samples"
#: The real digest of 2025-08-14, and a digest in the generator's 2026 layout.
SAMPLE = SAMPLES / "ai-daily-2025-08-14.md"
SAMPLE_2026 = SAMPLES / "ai-daily-2026-01-20.md"
SAMPLE_DATE = dt.date(2025, 8, 14)
SUBSCRIBERS_CSV = SAMPLES / "subscribers.csv"
#: Screenshots and other files for people to look at (gitignored).
ARTIFACTS = ROOT / "test-artifacts"

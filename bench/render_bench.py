"""One full render of the sample issue against one per-recipient substitution.

The issue is rendered once (Jinja2 -> MJML -> mjml-python -> premailer, plus the text part)
and each recipient's copy is made by :func:`~newsletter.render.personalize`. The ratio
render/personalize says how much work rendering per recipient would cost instead. The
render's stages are timed apart too, to show where its time goes.

    .venv/bin/python -m bench.render_bench [--renders 30] [--personalizations 20000]

Times are medians over repeated runs after one warm-up (template compilation, imports).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import mjml

from newsletter.compose import issue_from_digest
from newsletter.digest import load_digests
from newsletter.models import Issue
from newsletter.render import personalize, render_issue
from newsletter.render.context import issue_context
from newsletter.render.issue import issue_subject
from newsletter.render.personalize import localize
from newsletter.render.pipeline import inline_css
from newsletter.render.templates import render_template
from newsletter.settings import Settings

SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "samples" / "ai-daily-2025-08-14.md"
UNSUBSCRIBE = "https://news.example.com/u/eyJzIjoxMjM0NTYsImwiOiJkYWlseSJ9.Zp0aXzW9Qk3xv1bT"


def sample_issue() -> Issue:
    """The sample digest as an in-memory issue, composed as `issue compose` does."""
    (digest,) = load_digests(SAMPLE)
    return issue_from_digest(digest)


def median_seconds(fn: Callable[[], object], *, runs: int, inner: int = 1) -> float:
    """The median time of one call of ``fn``, over ``runs`` batches of ``inner`` calls."""
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--personalizations", type=int, default=20000)
    args = parser.parse_args()
    settings = Settings(base_url="https://news.example.com", _env_file=None)
    issue = sample_issue()
    rendered = render_issue(issue, settings)

    ctx = issue_context(issue, settings, subject=issue_subject(issue), test=False)
    source = render_template("issue.mjml.j2", ctx)
    converted = mjml.mjml2html(source)

    full = median_seconds(lambda: render_issue(issue, settings), runs=args.renders)
    stages = {
        "context + Jinja2 (MJML and text)": median_seconds(
            lambda: (
                render_template(
                    "issue.mjml.j2",
                    issue_context(issue, settings, subject=issue.subject, test=False),
                ),
                render_template("issue.txt.j2", ctx),
            ),
            runs=args.renders,
        ),
        "mjml2html": median_seconds(lambda: mjml.mjml2html(source), runs=args.renders),
        "premailer": median_seconds(lambda: inline_css(converted), runs=args.renders),
    }
    batches = 20
    # The send localizes once per language (a pass over the stored rendering), then
    # substitutes per recipient; the localization is timed apart.
    localized = localize(rendered, language="zh-CN")
    per_language = median_seconds(lambda: localize(rendered, language="en"), runs=args.renders)
    one = median_seconds(
        lambda: personalize(localized, unsubscribe_url=UNSUBSCRIBE, name="张三"),
        runs=batches,
        inner=max(1, args.personalizations // batches),
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"sample issue: {len(rendered.html.encode()) / 1024:.1f} KB HTML, "
        f"{len(rendered.text.encode()) / 1024:.1f} KB text"
    )
    print(f"full render        {full * 1e3:8.2f} ms  (median of {args.renders})")
    for name, seconds in stages.items():
        print(f"  {name:<32} {seconds * 1e3:8.2f} ms")
    inner = args.personalizations // batches
    print(f"one localize       {per_language * 1e6:8.2f} µs  (once per language of a send)")
    print(f"one personalize    {one * 1e6:8.2f} µs  (median of {batches} x {inner})")
    print(f"ratio render/personalize: {full / one:,.0f}")


if __name__ == "__main__":
    main()

"""The image stage on the sample issue, against the render it belongs to.

The sample digest's 9 images (8 distinct URLs: 2 AVIF, 1 WebP, PNG, JPEG; the local copies of
tests/samples/images/) are served by a local HTTP server, so downloads cost next to nothing
and what is timed is the stage's own work: the checks of each hop, decoding, converting,
scaling, hashing, storing and recording. Each run gets a fresh SQLite file and media folder.

- cold stage: nothing stored yet (every image fetched, converted, stored, recorded);
- warm stage: a re-render, every image recorded and in the store (no download);
- render: ``render_issue`` with the stage's result (context, Jinja2, MJML, premailer);
- fetch alone and convert alone, over the same 8 images, to split the cold stage.

    .venv/bin/python -m bench.media_bench [--runs 5]

Times are medians of ``--runs`` runs after one warm-up run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from newsletter import db
from newsletter.compose import issue_from_digest
from newsletter.digest import load_digests
from newsletter.media.convert import convert_image
from newsletter.media.fetch import FetchLimits, fetch_image
from newsletter.media.stage import IssueMedia, issue_image_urls, make_client, prepare_issue_media
from newsletter.models import Issue
from newsletter.render import render_issue
from newsletter.settings import Settings
from tests.support.image_server import serve_images
from tests.support.media_images import local_sample_digest


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _settings(work: Path, hostport: str) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{work / 'bench.db'}",
        base_url="https://news.example.com",
        media_fetch=True,
        media_dir=work / "media",
        media_allow_hosts=[hostport],
    )


def _one_run(issue: Issue, hostport: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = _settings(Path(tmp), hostport)
        engine = db.make_engine(settings.database_url)
        db.upgrade(engine)
        media: list[IssueMedia | None] = []
        with db.transaction(engine) as session:
            cold = _timed(lambda: media.append(prepare_issue_media(session, issue, settings)))
        with db.transaction(engine) as session:
            warm = _timed(lambda: prepare_issue_media(session, issue, settings))
        render = _timed(lambda: render_issue(issue, settings, media=media[0]))
        engine.dispose()
    return {"cold": cold, "warm": warm, "render": render}


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with serve_images() as server, tempfile.TemporaryDirectory() as tmp:
        (digest,) = load_digests(local_sample_digest(server.url, Path(tmp) / "digest.md"))
        issue = issue_from_digest(digest)
        urls = list(dict.fromkeys(issue_image_urls(issue)))
        _one_run(issue, server.hostport)  # warm-up: imports, Pillow plugins, templates
        runs = [_one_run(issue, server.hostport) for _ in range(args.runs)]
        limits = FetchLimits()
        allow = frozenset([server.hostport])
        with make_client() as client:
            fetched = [
                fetch_image(u, client=client, limits=limits, allow_hosts=allow) for u in urls
            ]
            fetch = statistics.median(
                _timed(
                    lambda: [
                        fetch_image(u, client=client, limits=limits, allow_hosts=allow)
                        for u in urls
                    ]
                )
                for _ in range(args.runs)
            )
        convert = statistics.median(
            _timed(lambda: [convert_image(f.data, max_pixels=40_000_000) for f in fetched])
            for _ in range(args.runs)
        )
    med = {k: statistics.median(r[k] for r in runs) for k in ("cold", "warm", "render")}
    source = sum(len(f.data) for f in fetched)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    count = len(issue_image_urls(issue))
    print(f"sample issue: {count} images, {len(urls)} URLs, {source / 1024:.1f} KB served")
    print(f"cold stage   {med['cold'] * 1e3:8.1f} ms  (fetch + convert + store + record)")
    print(f"  fetch only {fetch * 1e3:8.1f} ms  (local server, sequential)")
    print(f"  convert    {convert * 1e3:8.1f} ms  (decode, scale, encode; sequential)")
    print(f"warm stage   {med['warm'] * 1e3:8.1f} ms  (re-render: records + store checks)")
    print(f"render       {med['render'] * 1e3:8.1f} ms  (render_issue with the stored images)")
    cold_share = med["cold"] / (med["cold"] + med["render"])
    warm_share = med["warm"] / (med["warm"] + med["render"])
    print(f"share of the render: cold {cold_share:.0%}, warm {warm_share:.0%}")
    print(f"ratio cold stage / render: {med['cold'] / med['render']:.1f}")


if __name__ == "__main__":
    main()

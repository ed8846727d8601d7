"""`make demo` (``python -m tests.support.demo``): the whole main job on the sample digest,
through a local SES.

In a scratch folder (``--dir``, default ``demo/``) with a fresh SQLite database, it starts
moto's SES emulation on a free loopback port, verifies the sender identity there (as SES
requires), imports the sample subscribers, runs ``newsletter daily`` over the sample digest
(import, compose, render, send), runs it again to show that nothing is sent twice, and then
shows what SES accepted: one message per active subscriber, saved as ``.eml`` files.
Every step is the real CLI in a subprocess. It lives with the tests because it uses their
samples and moto's server (a development dependency), not the installed package alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from newsletter.files import write_atomic
from newsletter.identity import DEMO_POSTAL_ADDRESS
from newsletter.render.reader import MARKER_PREFIX
from tests.support import aws
from tests.support.image_server import IMAGES, ImageServer, serve_images
from tests.support.mail import parse
from tests.support.paths import SAMPLE, SAMPLE_DATE, SUBSCRIBERS_CSV

DATE = SAMPLE_DATE.isoformat()
SENDER = "news@example.com"


BASE_URL = "http://127.0.0.1:8000"
STEPS = 6
# A lint warning as `daily` logs it ("issue DATE: code: ...") or `issue render` prints it.
_WARNING = re.compile(r"^(?:warning|issue \S+): (?P<code>[a-z-]+): (?P<text>.*)$")


def _expected(code: str, text: str) -> str | None:
    """What an expected warning of the demo is about (None: show it as it is)."""
    if code in ("insecure-link", "insecure-image") and f"{BASE_URL}/" in text:
        return "http:// links and images of the local demo server"
    if code == "postal-address":
        return "the demo postal address"
    return None


def _run(env: dict[str, str], step: int, what: str, *args: str) -> None:
    """Run one CLI step; the lint warnings the demo expects (its local http:// server, its
    postal address) are summed up in one line, anything else is shown as it is."""
    print(f"\n[{step}/{STEPS}] {what}\n$ newsletter {' '.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", *args], env=env, stderr=subprocess.PIPE, text=True
    )
    expected: Counter[str] = Counter()
    for line in done.stderr.splitlines():
        found = _WARNING.match(line)
        about = found and _expected(found["code"], found["text"])
        if about:
            expected[about] += 1
        else:
            print(line, file=sys.stderr, flush=True)
    if expected:
        parts = "; ".join(f"{n} about {about}" for about, n in expected.items())
        print(f"({sum(expected.values())} expected lint warnings: {parts})", flush=True)
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, done.args)


def _check_reader_copies(*paths: Path) -> None:
    """The files the demo points at are a reader's copy: no internal marker in them."""
    for path in paths:
        if MARKER_PREFIX in path.read_text("utf-8"):
            raise SystemExit(f"{path} holds an internal marker ({MARKER_PREFIX}...)")


def _show_accepted(url: str, work: Path) -> None:
    accepted = aws.accepted(url)
    folder = work / "ses"
    folder.mkdir()
    print(f"\nThe local SES accepted {len(accepted)} messages:")
    for n, record in enumerate(accepted, 1):
        raw = record["raw_data"].encode("utf-8")
        msg = parse(raw)
        write_atomic(folder / f"{n:02d}.eml", raw)
        print(f"  {n}. To: {msg['To']}  Subject: {msg['Subject']}")
        print(f"     List-Unsubscribe: {msg['List-Unsubscribe']}")
    print(f"  saved as {folder}/*.eml (open them in any mail client)")


def _digest_with_local_images(work: Path, server: ImageServer) -> Path:
    """A copy of the sample digest whose image URLs point at the local copy of its images
    (AVIF, WebP, ...) that ``server`` serves: there is no network here."""
    text = SAMPLE.read_text("utf-8")
    mapping = json.loads((IMAGES / "sample-map.json").read_text("utf-8"))
    for source, name in mapping.items():
        text = text.replace(source, f"{server.url}/{name}")
    digest = work / SAMPLE.name
    digest.write_text(text, "utf-8")
    return digest


def main() -> None:
    """Run the demo; exits non-zero if any step fails."""
    try:
        _demo()
    except aws.MotoError:
        raise SystemExit("the local SES (moto_server) did not start; see demo/moto.log") from None


def _demo() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("demo"))
    args = parser.parse_args()
    work: Path = args.dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "AWS_"))}
    env.update(aws.AWS_ENV)
    with (
        (work / "moto.log").open("wb") as log,
        aws.running_moto(env=env, log=log) as url,
        serve_images() as images,
    ):
        digest = _digest_with_local_images(work, images)
        print(f"Local SES (moto) at {url}; verifying the sender {SENDER}")
        aws.verify_sender(url, SENDER)
        env.update(
            NEWSLETTER_DATABASE_URL=f"sqlite:///{work / 'newsletter.db'}",
            NEWSLETTER_BASE_URL=BASE_URL,
            NEWSLETTER_SENDER=f"AI 日报 <{SENDER}>",
            NEWSLETTER_SECRET_KEY=secrets.token_urlsafe(32),
            NEWSLETTER_POSTAL_ADDRESS=DEMO_POSTAL_ADDRESS,
            NEWSLETTER_TRANSPORT="ses",
            NEWSLETTER_SES_ENDPOINT_URL=url,
            NEWSLETTER_SES_REGION="us-east-1",
            NEWSLETTER_MEDIA_DIR=str(work / "media"),
            NEWSLETTER_MEDIA_ALLOW_HOSTS=json.dumps([images.hostport]),
        )
        _run(env, 1, "a fresh database", "db", "upgrade")
        _run(
            env,
            2,
            "the sample subscribers, already confirmed",
            "subscribers",
            "import",
            str(SUBSCRIBERS_CSV),
            "--confirmed",
        )
        _run(
            env, 3, "the daily job: import, compose, render, send", "daily", "--source", str(digest)
        )
        _run(env, 4, "the daily job again: nothing is sent twice", "daily", "--source", str(digest))
        _run(env, 5, "what the ledger says", "send", "status", "--date", DATE)
        html, text = work / f"issue-{DATE}.html", work / f"issue-{DATE}.txt"
        files = ["--out", str(html), "--text", str(text)]
        _run(env, 6, "a reader's copy to look at", "issue", "render", "--date", DATE, *files)
        _check_reader_copies(html, text)
        _show_accepted(url, work)
    # The web service reads the same settings from demo/.env (the local SES is gone by then,
    # so later sends from there go to .eml files in demo/outbox).
    keep = {k: v for k, v in env.items() if k.startswith("NEWSLETTER_") and "SES_" not in k}
    keep.update(NEWSLETTER_TRANSPORT="file", NEWSLETTER_FILE_OUTBOX=str(work / "outbox"))
    write_atomic(work / ".env", "".join(f"{k}={v!r}\n" for k, v in keep.items()))
    print(
        f"\nWhere to look:\n"
        f"  a reader's copy:        {html}  (and {text.name})\n"
        f"                          (`issue render --language en`, `--as EMAIL` for others)\n"
        f"  what SES accepted:      {work / 'ses'}/  (one .eml per subscriber)\n"
        f"  the converted images:   {work / 'media'}/  (served by `newsletter serve` at /media)\n"
        f"  the web archive:        cd {work} && ../.venv/bin/newsletter serve\n"
        f"                          then open http://127.0.0.1:8000/archive/default/{DATE}\n"
        f"                          (the unsubscribe links in the .eml files work there too)\n"
        f"\nThis ran the one edition made of the settings ('default'). For a Chinese and an\n"
        f"English edition side by side: `newsletter editions add en --name 'AI Daily' "
        f"--language en --list en-daily --source 'content/en/{{date:%Y-%m}}/{{date}}.md'`\n"
        f'(README, "Editions").'
    )


if __name__ == "__main__":
    main()

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
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from newsletter.files import write_atomic
from newsletter.identity import DEMO_POSTAL_ADDRESS
from tests.support import aws
from tests.support.image_server import IMAGES, ImageServer, serve_images
from tests.support.mail import parse
from tests.support.paths import SAMPLE, SAMPLE_DATE, SUBSCRIBERS_CSV

DATE = SAMPLE_DATE.isoformat()
SENDER = "news@example.com"


def _run(env: dict[str, str], *args: str) -> None:
    print(f"\n$ newsletter {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "newsletter", *args], env=env, check=True)


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
            NEWSLETTER_BASE_URL="http://127.0.0.1:8000",
            NEWSLETTER_SENDER=f"AI 日报 <{SENDER}>",
            NEWSLETTER_SECRET_KEY=secrets.token_urlsafe(32),
            NEWSLETTER_POSTAL_ADDRESS=DEMO_POSTAL_ADDRESS,
            NEWSLETTER_TRANSPORT="ses",
            NEWSLETTER_SES_ENDPOINT_URL=url,
            NEWSLETTER_SES_REGION="us-east-1",
            NEWSLETTER_MEDIA_DIR=str(work / "media"),
            NEWSLETTER_MEDIA_ALLOW_HOSTS=json.dumps([images.hostport]),
        )
        _run(env, "db", "upgrade")
        _run(env, "subscribers", "import", str(SUBSCRIBERS_CSV), "--confirmed")
        _run(env, "daily", "--source", str(digest))
        _run(env, "daily", "--source", str(digest))  # the second run sends nothing
        _run(env, "send", "status", "--date", DATE)
        html, text = work / f"issue-{DATE}.html", work / f"issue-{DATE}.txt"
        _run(env, "issue", "render", "--date", DATE, "--out", str(html), "--text", str(text))
        _show_accepted(url, work)
    # The web service reads the same settings from demo/.env (the local SES is gone by then,
    # so later sends from there go to .eml files in demo/outbox).
    keep = {k: v for k, v in env.items() if k.startswith("NEWSLETTER_") and "SES_" not in k}
    keep.update(NEWSLETTER_TRANSPORT="file", NEWSLETTER_FILE_OUTBOX=str(work / "outbox"))
    write_atomic(work / ".env", "".join(f"{k}={v!r}\n" for k, v in keep.items()))
    print(
        f"\nWhere to look:\n"
        f"  the email as rendered:  {html}  (and {text.name})\n"
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

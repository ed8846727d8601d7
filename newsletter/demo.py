"""`make demo`: the whole main job on the sample digest, through a local SES.

In a scratch folder (``--dir``, default ``demo/``) with a fresh SQLite database, it starts
moto's SES emulation on a free loopback port, verifies the sender identity there (as SES
requires), imports the sample subscribers, runs ``newsletter daily`` over the sample digest
(import, compose, render, send), runs it again to show that nothing is sent twice, and then
shows what SES accepted: one message per active subscriber, saved as ``.eml`` files.
Every step is the real CLI in a subprocess.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples"
DIGEST = SAMPLES / "ai-daily-2025-08-14.md"
SUBSCRIBERS = SAMPLES / "subscribers.csv"
DATE = "2025-08-14"
SENDER = "news@example.com"
#: Placeholder credentials: the local SES accepts any.
LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _run(env: dict[str, str], *args: str) -> None:
    print(f"\n$ newsletter {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "newsletter", *args], env=env, check=True)


def _start_ses(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    moto = Path(sys.executable).with_name("moto_server")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=out, stderr=out, env=env
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).read()  # noqa: S310
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"the local SES (moto_server) did not start; see {log}") from None
            time.sleep(0.2)


def _verify_sender(url: str) -> None:
    import boto3  # only the demo's own set-up talks to SES directly

    client = boto3.client(
        "ses",
        region_name=LOCAL_AWS["AWS_DEFAULT_REGION"],
        endpoint_url=url,
        aws_access_key_id=LOCAL_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LOCAL_AWS["AWS_SECRET_ACCESS_KEY"],
    )
    client.verify_email_identity(EmailAddress=SENDER)


def _accepted(url: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=10) as r:  # noqa: S310
        data = json.load(r)
    messages: list[dict[str, Any]] = data.get("ses", {}).get("RawMessage", [])
    return messages


def _show_accepted(url: str, work: Path) -> None:
    accepted = _accepted(url)
    folder = work / "ses"
    folder.mkdir()
    print(f"\nThe local SES accepted {len(accepted)} messages:")
    for n, record in enumerate(accepted, 1):
        raw = record["raw_data"].encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        path = folder / f"{n:02d}.eml"
        path.write_bytes(raw)
        print(f"  {n}. To: {msg['To']}  Subject: {msg['Subject']}")
        print(f"     List-Unsubscribe: {msg['List-Unsubscribe']}")
    print(f"  saved as {folder}/*.eml (open them in any mail client)")


def _serve_images(work: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    """A local copy of the sample's images (AVIF, WebP, ...) served over HTTP, and a copy of
    the sample digest whose image URLs point there (there is no network here)."""
    port = _free_port()
    folder = SAMPLES / "images"
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "-b", "127.0.0.1", "-d", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            ready = f"http://127.0.0.1:{port}/sample-map.json"
            urllib.request.urlopen(ready, timeout=1).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit("the local image server did not start") from None
            time.sleep(0.1)
    text = DIGEST.read_text("utf-8")
    for source, name in json.loads((folder / "sample-map.json").read_text("utf-8")).items():
        text = text.replace(source, f"http://127.0.0.1:{port}/{name}")
    digest = work / DIGEST.name
    digest.write_text(text, "utf-8")
    return proc, f"127.0.0.1:{port}", digest


def main() -> None:
    """Run the demo; exits non-zero if any step fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=Path("demo"))
    args = parser.parse_args()
    work: Path = args.dir.resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEWSLETTER_", "AWS_"))}
    env.update(LOCAL_AWS)
    ses, url = _start_ses(env, work / "moto.log")
    images, images_host, digest = _serve_images(work)
    try:
        print(f"Local SES (moto) at {url}; verifying the sender {SENDER}")
        _verify_sender(url)
        env.update(
            NEWSLETTER_DATABASE_URL=f"sqlite:///{work / 'newsletter.db'}",
            NEWSLETTER_BASE_URL="http://127.0.0.1:8000",
            NEWSLETTER_SENDER=f"AI 日报 <{SENDER}>",
            NEWSLETTER_SECRET_KEY=secrets.token_urlsafe(32),
            NEWSLETTER_TRANSPORT="ses",
            NEWSLETTER_SES_ENDPOINT_URL=url,
            NEWSLETTER_SES_REGION="us-east-1",
            NEWSLETTER_MEDIA_DIR=str(work / "media"),
            NEWSLETTER_MEDIA_ALLOW_HOSTS=json.dumps([images_host]),
        )
        _run(env, "db", "upgrade")
        _run(env, "subscribers", "import", str(SUBSCRIBERS), "--confirmed")
        _run(env, "daily", "--source", str(digest))
        _run(env, "daily", "--source", str(digest))  # the second run sends nothing
        _run(env, "send", "status", "--date", DATE)
        html, text = work / f"issue-{DATE}.html", work / f"issue-{DATE}.txt"
        _run(env, "issue", "render", "--date", DATE, "--out", str(html), "--text", str(text))
        _show_accepted(url, work)
    finally:
        images.terminate()
        ses.terminate()
        ses.wait(timeout=10)
    # The web service reads the same settings from demo/.env (the local SES is gone by then,
    # so later sends from there go to .eml files in demo/outbox).
    keep = {k: v for k, v in env.items() if k.startswith("NEWSLETTER_") and "SES_" not in k}
    keep.update(NEWSLETTER_TRANSPORT="file", NEWSLETTER_FILE_OUTBOX=str(work / "outbox"))
    (work / ".env").write_text("".join(f"{k}={v!r}\n" for k, v in keep.items()), "utf-8")
    print(
        f"\nWhere to look:\n"
        f"  the email as rendered:  {html}  (and {text.name})\n"
        f"  what SES accepted:      {work / 'ses'}/  (one .eml per subscriber)\n"
        f"  the converted images:   {work / 'media'}/  (served by `newsletter serve` at /media)\n"
        f"  the web archive:        cd {work} && ../.venv/bin/newsletter serve\n"
        f"                          then open http://127.0.0.1:8000/archive/{DATE}\n"
        f"                          (the unsubscribe links in the .eml files work there too)"
    )


if __name__ == "__main__":
    main()

"""The two media stores: S3 against moto's server over HTTP, the local folder through
`newsletter serve` (type, cache headers, 404)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from sqlalchemy import Engine

from newsletter import db
from newsletter.errors import StateError
from newsletter.htmlscan import scan_html
from newsletter.media.check import check_issue_media
from newsletter.media.store import CACHE_CONTROL, LocalMediaStore, media_name, media_store
from newsletter.models import Issue
from newsletter.render.issue import render_store_and_lint
from newsletter.settings import Settings
from tests.support.image_server import IMAGES, ImageServer
from tests.support.serve import start_serve, stop_serve, wait_until_serving

BUCKET = "newsletter-media-test"


@pytest.fixture
def s3_settings(
    media_settings: Settings, moto_s3: str, aws_credentials: None
) -> Iterator[Settings]:
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_s3)
    client.create_bucket(Bucket=BUCKET)
    # The policy serverless.yml gives the bucket: public read for media/ only.
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/media/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    client.put_object(Bucket=BUCKET, Key="private/note.txt", Body=b"not public")
    yield media_settings.model_copy(
        update={
            "media_store": "s3",
            "media_s3_bucket": BUCKET,
            "media_s3_endpoint_url": moto_s3,
        }
    )
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_s3_store_holds_the_issue_images(
    engine: Engine,
    s3_settings: Settings,
    moto_s3: str,
    image_server: ImageServer,
    image_issue: Callable[..., Issue],
) -> None:
    urls = [f"{image_server.url}/news-1.avif", f"{image_server.url}/logo.png"]
    with db.transaction(engine) as session:
        rendered, warnings, _ = render_store_and_lint(session, image_issue(urls), s3_settings)
    assert [w for w in warnings if w.code == "image"] == []
    srcs = [i.get("src") for i in scan_html(rendered.html).find("img")]
    prefix = f"{moto_s3}/{BUCKET}/media/"
    assert all(s.startswith(prefix) for s in srcs), srcs
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_s3)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="media/")["Contents"]
    keys = sorted(o["Key"] for o in listing)
    assert keys == sorted(s[len(f"{moto_s3}/{BUCKET}/") :] for s in srcs)
    head = client.head_object(Bucket=BUCKET, Key=srcs[0][len(f"{moto_s3}/{BUCKET}/") :])
    assert head["ContentType"] == "image/jpeg"
    assert head["CacheControl"] == CACHE_CONTROL
    # The logo passed unchanged: the object holds the very bytes the source served.
    logo = client.get_object(Bucket=BUCKET, Key=srcs[1][len(f"{moto_s3}/{BUCKET}/") :])
    assert logo["Body"].read() == (IMAGES / "logo.png").read_bytes()
    # What the email references answers over plain HTTP, with its type and cache lifetime.
    public = httpx.get(srcs[0])
    assert public.status_code == 200
    assert public.headers["content-type"] == "image/jpeg"
    assert public.content[:3] == b"\xff\xd8\xff"
    assert httpx.get(f"{moto_s3}/{BUCKET}/private/note.txt").status_code == 403
    check_issue_media(rendered.html, s3_settings)
    client.delete_object(Bucket=BUCKET, Key=srcs[0][len(f"{moto_s3}/{BUCKET}/") :])
    with pytest.raises(StateError, match=r"^1 stored image\(s\) .* missing .*" + srcs[0]):
        check_issue_media(rendered.html, s3_settings)


def test_s3_store_urls_use_the_cdn_base_when_set(s3_settings: Settings) -> None:
    cdn = s3_settings.model_copy(update={"media_base_url": "https://img.example.com/media/"})
    store = media_store(cdn)
    assert store.base_url == "https://img.example.com/media"
    plain = s3_settings.model_copy(update={"media_s3_endpoint_url": ""})
    assert media_store(plain).base_url == f"https://{BUCKET}.s3.us-east-1.amazonaws.com/media"


def test_newsletter_serve_serves_the_local_store(cli_env: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "media"
    store = LocalMediaStore(folder, base_url="http://127.0.0.1/media")
    data = (IMAGES / "photo.jpg").read_bytes()
    name = media_name(data, "jpg")
    store.put(name, data, "image/jpeg")
    db.upgrade(db.make_engine(cli_env.database_url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(NEWSLETTER_MEDIA_DIR=str(folder), PYTHONPATH=str(Path(__file__).parents[2]))
    process, port = start_serve(env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, port)
        ok = httpx.get(f"{base}/media/{name}")
        assert ok.status_code == 200
        assert ok.content == data
        assert ok.headers["content-type"] == "image/jpeg"
        assert ok.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert ok.headers["x-content-type-options"] == "nosniff"
        assert "set-cookie" not in ok.headers
        head = httpx.head(f"{base}/media/{name}")
        assert head.status_code == 200
        assert head.headers["content-type"] == "image/jpeg"
        unknown = "0" * 32 + ".png"
        for path in (unknown, "not-a-name.jpg", f"{name[:-4]}.svg", "..%2Fnewsletter.db"):
            missing = httpx.get(f"{base}/media/{path}")
            assert missing.status_code == 404, path
            assert "immutable" not in missing.headers.get("cache-control", "")
    finally:
        stop_serve(process)

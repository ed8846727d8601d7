"""`issue render` and `issue lint` with the image stage: per-image reports, --strict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import app
from newsletter.settings import Settings
from tests.support.image_server import ImageServer
from tests.support.mail import parse


@pytest.fixture
def media_cli(
    cli_env: Settings, image_server: ImageServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """CLI settings with fetching on, and a JSON digest whose images the local server has."""
    monkeypatch.setenv("NEWSLETTER_MEDIA_FETCH", "true")
    monkeypatch.setenv("NEWSLETTER_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("NEWSLETTER_MEDIA_ALLOW_HOSTS", json.dumps([image_server.hostport]))
    monkeypatch.setenv("NEWSLETTER_MEDIA_TIMEOUT_SECONDS", "5")
    url = image_server.url
    items = [
        {
            "title": "AVIF",
            "body": "One.",
            "images": [{"url": f"{url}/news-1.avif", "alt": "chart"}],
        },
        {"title": "Logo", "body": "Two.", "images": [{"url": f"{url}/logo.png"}]},
        {"title": "Again", "body": "Three.", "images": [{"url": f"{url}/logo.png"}]},
    ]
    digest = {
        "date": "2025-08-14",
        "title": "Images",
        "summary": "s.",
        "sections": [{"name": "S", "items": items}],
    }
    path = tmp_path / "digest.json"
    path.write_text(json.dumps(digest), encoding="utf-8")
    return path


def _prepare(runner: CliRunner, digest: Path) -> None:
    for args in (["items", "import", str(digest)], ["issue", "compose", "--date", "2025-08-14"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output


def test_render_and_lint_report_every_image(
    runner: CliRunner, media_cli: Path, image_server: ImageServer, tmp_path: Path
) -> None:
    _prepare(runner, media_cli)
    out = tmp_path / "issue.html"
    result = runner.invoke(
        app, ["issue", "render", "--date", "2025-08-14", "--out", str(out), "--strict"]
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("image: ")]
    assert lines == [
        f"image: AVIF 1600x900 6.7 KB -> JPEG 1200x675 33.7 KB (AVIF to JPEG, scaled from 1600 to 1200 px wide): {image_server.url}/news-1.avif",
        f'image: PNG 180x60 736 B -> PNG 180x60 736 B (unchanged; appears 2 times: shown once; decorative: alt=""): {image_server.url}/logo.png',
    ]
    html = out.read_text(encoding="utf-8")
    assert html.count("/media/") == 2
    assert "news-1.avif" not in html
    lint = runner.invoke(app, ["issue", "lint", "--date", "2025-08-14", "--strict"])
    assert lint.exit_code == 0, lint.output
    assert "stored before: not downloaded again" in lint.stdout
    assert lint.stdout.strip().endswith("no warnings")
    assert image_server.hits["/news-1.avif"] == 1


def test_strict_render_fails_on_an_image_that_cannot_be_fetched(
    runner: CliRunner, media_cli: Path, image_server: ImageServer, tmp_path: Path
) -> None:
    digest = json.loads(media_cli.read_text(encoding="utf-8"))
    digest["sections"][0]["items"][0]["images"][0]["url"] = f"{image_server.url}/missing.png"
    media_cli.write_text(json.dumps(digest), encoding="utf-8")
    _prepare(runner, media_cli)
    out = tmp_path / "issue.html"
    args = ["issue", "render", "--date", "2025-08-14", "--out", str(out)]
    result = runner.invoke(app, [*args, "--strict"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "error: the issue of 2025-08-14 has 2 lint warnings"
    )  # and http://"
    assert not out.exists()
    lenient = runner.invoke(app, args)
    assert lenient.exit_code == 0
    assert (
        f"warning: image: not fetched: HTTP 404; kept as {image_server.url}/missing.png"
        in lenient.stderr
    )
    assert (
        f"image: kept as is (not fetched: HTTP 404): {image_server.url}/missing.png"
        in lenient.stdout
    )


def test_a_send_with_a_stored_image_missing_is_refused(
    runner: CliRunner, media_cli: Path, cli_env: Settings, tmp_path: Path
) -> None:
    _prepare(runner, media_cli)
    out = tmp_path / "issue.html"
    assert (
        runner.invoke(app, ["issue", "render", "--date", "2025-08-14", "--out", str(out)]).exit_code
        == 0
    )
    add = ["subscribers", "add", "reader@example.com", "--confirmed", "--no-email"]
    assert runner.invoke(app, add).exit_code == 0
    stored = sorted((tmp_path / "media").iterdir())
    assert len(stored) == 2
    stored[0].unlink()
    refused = runner.invoke(app, ["send", "issue", "--date", "2025-08-14"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith(
        "error: 1 stored image(s) of the issue are missing from the media store ("
    )
    assert list(cli_env.file_outbox.glob("*.eml")) == [] if cli_env.file_outbox.exists() else True
    # Rendering again stores the lost copy again; then the send goes out with hosted images.
    assert (
        runner.invoke(app, ["issue", "render", "--date", "2025-08-14", "--out", str(out)]).exit_code
        == 0
    )
    sent = runner.invoke(app, ["send", "issue", "--date", "2025-08-14"])
    assert sent.exit_code == 0, sent.output
    (eml,) = cli_env.file_outbox.glob("*.eml")
    assert f"{cli_env.base_url}/media/" in eml.read_text(encoding="utf-8").replace("=\n", "")


def test_a_test_send_of_a_draft_shows_the_stored_images(
    runner: CliRunner, media_cli: Path, cli_env: Settings, image_server: ImageServer
) -> None:
    # An editor's [TEST] copy of a never-rendered draft shows what subscribers will see:
    # the converted, hosted copies, not the source's AVIF.
    _prepare(runner, media_cli)
    result = runner.invoke(
        app, ["send", "test", "--date", "2025-08-14", "--to", "editor@example.com"]
    )
    assert result.exit_code == 0, result.output
    [eml] = sorted(Path(cli_env.file_outbox).glob("*.eml"))
    msg = parse(eml.read_bytes())
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert html.count("/media/") == 2
    assert "news-1.avif" not in html
    assert image_server.hits["/news-1.avif"] == 1

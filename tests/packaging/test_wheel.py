"""The built wheel works on its own: installed in a fresh virtual environment outside the
checkout, it migrates a database, renders the sample issue and sends a confirmation email.

The wheel is built from a copy of the sources (so the checkout gets no build/ or egg-info)
without build isolation (nothing is downloaded); the fresh environment sees the test
environment's site-packages for the dependencies only, after its own, so `newsletter` and
the `emails` templates come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from newsletter.settings import Settings
from tests.support.factories import settings_env
from tests.support.mail import part_text, read_outbox, recipient

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "samples" / "ai-daily-2025-08-14.md"
SOURCES = ["pyproject.toml", "README.md", "newsletter", "subscribers", "emails"]

pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment without PYTHON* variables (no PYTHONPATH into the checkout)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with only the wheel installed into it."""

    python: Path
    script: Path
    workdir: Path


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """Build the wheel from a copy of the sources and install it into a new environment."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=ignore)
        else:
            shutil.copy(ROOT / name, src / name)
    dist = base / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run(
        [*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(src)],
        check=True,
        cwd=base,
        env=clean_env(),
    )
    (wheel,) = dist.glob("newsletter-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            *pip,
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        cwd=base,
        env=clean_env(),
    )
    # The dependencies: the test environment's site-packages, searched after the wheel's
    # (a path in a .pth file is appended; the .pth files inside it are not run, so the
    # checkout's editable install stays out).
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
            env=clean_env(),
        ).stdout.strip()
    )
    (purelib / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    workdir = base / "work"
    workdir.mkdir()
    return Installed(python, env_dir / "bin" / "newsletter", workdir)


def run(installed: Installed, settings: Settings, *args: str) -> str:
    """Run the installed console script from outside the checkout, with PYTHONPATH unset."""
    env = {k: v for k, v in clean_env().items() if not k.startswith("NEWSLETTER_")}
    env.update(settings_env(settings))
    done = subprocess.run(
        [str(installed.script), *args],
        cwd=installed.workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_wheel_carries_code_and_templates(installed: Installed) -> None:
    out = subprocess.run(
        [
            str(installed.python),
            "-c",
            "import emails, newsletter, subscribers; from newsletter.render.templates import"
            " environment; print(emails.__file__, newsletter.__file__, subscribers.__file__);"
            " print(*environment().list_templates())",
        ],
        cwd=installed.workdir,
        env=clean_env(),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    prefix = str(installed.python.parents[1])
    assert all(path.startswith(prefix) for path in out[0].split()), out[0]
    assert {"confirm.mjml.j2", "issue.mjml.j2", "layout.mjml.j2", "styles.css.j2"} <= set(
        out[1].split()
    )


def test_installed_wheel_renders_the_issue_and_sends_a_confirmation(
    installed: Installed, settings: Settings, tmp_path: Path
) -> None:
    run(installed, settings, "db", "upgrade")
    run(installed, settings, "items", "import", str(SAMPLE))
    run(installed, settings, "issue", "compose", "--date", "2025-08-14")
    html = tmp_path / "issue.html"
    text = tmp_path / "issue.txt"
    run(
        installed,
        settings,
        *("issue", "render", "--date", "2025-08-14", "--out", str(html), "--text", str(text)),
    )
    assert html.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert "{{ unsubscribe_url }}" not in html.read_text(encoding="utf-8")
    assert "2025" in text.read_text(encoding="utf-8")

    run(installed, settings, "subscribers", "add", "reader@example.com", "--name", "Reader")
    (msg,) = read_outbox(settings.file_outbox)
    assert recipient(msg) == "reader@example.com"
    assert f"{settings.base_url}/confirm" in part_text(msg)

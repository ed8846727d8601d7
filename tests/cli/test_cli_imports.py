"""A fast start, kept by structure: what starting the command imports (not how long it takes:
bench/startup_bench.py measures that).

Each check runs in a fresh interpreter, since this test process has imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newsletter.cli import NewsletterGroup, app

#: Heavy modules that only some commands need (AWS, CSS inlining, images, MJML, HTML parsing).
HEAVY = ("boto3", "botocore", "premailer", "PIL", "mjml", "lxml")
#: Never needed to print the help.
NOT_FOR_HELP = (*HEAVY, "sqlalchemy", "alembic", "pydantic_settings", "newsletter.settings")
#: Not needed to list the stored items (a database command on an up-to-date schema): no
#: reader, no compose step, and of the models only the content ones.
NOT_FOR_ITEMS_LIST = (
    *HEAVY,
    "alembic",
    "markdown_it",
    "feedparser",
    "httpx",
    "jinja2",
    "newsletter.compose",
    "newsletter.digest",
    "newsletter.freshness",
    "newsletter.models.audience",
    "newsletter.models.delivery",
    "newsletter.models.feedback",
    "newsletter.models.media",
)


def _loaded_after(code: str, *, env: dict[str, str] | None = None) -> set[str]:
    """The top-level names in ``sys.modules`` after running ``code`` in a new interpreter."""
    probe = (
        "import sys, json\n"
        f"{code}\n"
        "sys.stdout = sys.__stdout__\n"
        "print('\\n' + json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=False
    )
    last = result.stdout.strip().splitlines()[-1]
    return set(json.loads(last))


def _present(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in loaded or any(m.startswith(f"{n}.") for m in loaded)]


def test_importing_the_cli_imports_no_heavy_module() -> None:
    loaded = _loaded_after("import newsletter.cli")
    assert _present(loaded, HEAVY) == []


def test_the_help_imports_neither_heavy_modules_nor_the_database() -> None:
    code = (
        "from newsletter.cli import app\n"
        "try:\n"
        "    app(['--help'], prog_name='newsletter')\n"
        "except SystemExit:\n"
        "    pass"
    )
    assert _present(_loaded_after(code), NOT_FOR_HELP) == []


def test_items_list_imports_no_reader_no_alembic_no_compose(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'n.db'}"
    monkeypatch.setenv("NEWSLETTER_DATABASE_URL", url)
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    code = (
        "from newsletter.cli import app\n"
        "try:\n"
        "    app(['items', 'list'], prog_name='newsletter')\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code"
    )
    loaded = _loaded_after(code, env={**os.environ, "NEWSLETTER_DATABASE_URL": url})
    assert "sqlalchemy" in loaded  # the probe did run the command
    assert _present(loaded, NOT_FOR_ITEMS_LIST) == []


@pytest.mark.parametrize("name", list(NewsletterGroup.lazy))
def test_each_summary_is_the_commands_own(runner: CliRunner, name: str) -> None:
    entry = NewsletterGroup.lazy[name]
    command = entry.load(name)
    own = (command.help or "").split("\n\n")[0]
    assert " ".join(own.split()) == entry.summary
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert f" {name} [OPTIONS]" in " ".join(result.stdout.split())


def test_the_help_lists_every_command(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name, entry in NewsletterGroup.lazy.items():
        assert f"│ {name} " in result.stdout
        assert entry.summary.split()[0] in result.stdout


def _run_probe(code: str, env: dict[str, str]) -> str:
    """The last line ``code`` prints, run in a new interpreter with ``env``."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def test_base_alone_brings_every_table() -> None:
    # The models load lazily (newsletter/models/__init__.py); whoever asks for Base (the
    # migrations, the schema comparison) must still get the metadata of every model.
    code = (
        "import json\n"
        "from newsletter.models import Base\n"
        "tables = sorted(Base.metadata.tables)\n"
        "from newsletter.models import audience, content, delivery, feedback, media\n"
        "print(json.dumps([tables, sorted(Base.metadata.tables)]))"
    )
    first, all_imported = json.loads(_run_probe(code, dict(os.environ)))
    assert first == all_imported
    assert {"editions", "items", "subscribers", "deliveries", "media"} <= set(first)


def test_every_model_name_resolves_to_its_module() -> None:
    import newsletter.models as models

    for name in models.__all__:
        value = getattr(models, name)
        module = models._MODULE_OF[name]
        assert value is getattr(sys.modules[f"newsletter.models.{module}"], name), name
    with pytest.raises(AttributeError):
        models.NoSuchModel  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize(("given", "seen"), [(None, "1"), ("", ""), ("logfire", "logfire")])
def test_the_command_skips_the_pydantic_plugin_scan_unless_told(
    given: str | None, seen: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    code = (
        "import os\n"
        "from newsletter.cli import app\n"
        "assert os.environ.get('PYDANTIC_DISABLE_PLUGINS') == "
        f"{given!r}  # importing sets nothing\n"
        "try:\n"
        "    app(['--help'], prog_name='newsletter')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(repr(os.environ.get('PYDANTIC_DISABLE_PLUGINS')))"
    )
    assert _run_probe(code, env) == repr(seen)

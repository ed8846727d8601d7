"""The packages depend one way: a module of ``newsletter`` imports only from layers below its
own (DESIGN.md, "Layers"), and ``newsletter`` never imports ``subscribers``.

Read from the source with :mod:`ast`, so that imports inside functions and under
``TYPE_CHECKING`` count like the others: a lazy import upward is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "newsletter"

#: Bottom to top. A unit (a top-level module or package of ``newsletter``) may import
#: itself and any unit of a lower layer; units of one layer are independent of each other.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "errors",
        "text urls htmlscan files cjk_emphasis answer collector",
        "settings db models message subject digest editorial",
        "tokens identity transport lifecycle sources audience",
        "editions media",
        "freshness",
        "compose",
        "items render",
        "archive feedback",
        "sending",
        "optin reports",
        "preferences daily",
        "cli aws",
        "__main__",
    )
)
#: The one front end that starts the subscriber web service (``newsletter serve``).
MAY_IMPORT_SUBSCRIBERS = frozenset({"newsletter.cli.serve"})


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (absolute names), with its line."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join([*base, *([node.module] if node.module else [])])
            else:
                name = node.module or ""
            if name == "newsletter":  # from newsletter import x: x is the unit
                found.extend((node.lineno, f"newsletter.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, name))
    return found


def _unit(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _layer_of(unit: str) -> int:
    for index, layer in enumerate(LAYERS):
        if unit in layer:
            return index
    raise AssertionError(f"newsletter.{unit} is in no layer: add it to LAYERS and DESIGN.md")


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def upward_imports() -> list[str]:
    """Every import of a unit from its own layer or one above, and of ``subscribers``."""
    problems = []
    for path in _sources():
        module = _module_name(path)
        unit = _unit(module)
        here = _layer_of(unit) if unit else len(LAYERS)
        for line, name in _imported(path):
            where = f"{path.relative_to(ROOT.parent)}:{line}"
            if name.split(".")[0] == "subscribers" and module not in MAY_IMPORT_SUBSCRIBERS:
                problems.append(f"{where} imports {name} (newsletter never imports subscribers)")
            if not name.startswith("newsletter.") or _unit(name) == unit:
                continue
            there = _layer_of(_unit(name))
            if there >= here:
                problems.append(f"{where}: {unit} (layer {here}) imports {name} (layer {there})")
    return problems


def test_every_import_goes_down_a_layer() -> None:
    assert upward_imports() == []


def test_every_unit_has_a_layer() -> None:
    units = {_unit(_module_name(p)) for p in _sources()} - {""}
    for unit in units:
        _layer_of(unit)
    assert units == set().union(*LAYERS)


@pytest.mark.parametrize(
    ("source", "importer"),
    [
        ("from newsletter.reports.issue import issue_report\n", "feedback/guard.py"),
        ("def f():\n    from newsletter.render import markdown\n", "media/place.py"),
        ("from ..feedback import rates\n", "audience/__init__.py"),
        ("import subscribers.app\n", "render/issue.py"),
    ],
)
def test_the_check_finds_an_upward_import(
    source: str, importer: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The check run over a copy of one module with an upward import added.
    fake_root = tmp_path / "newsletter"
    target = fake_root / importer
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", fake_root)
    assert len(upward_imports()) == 1

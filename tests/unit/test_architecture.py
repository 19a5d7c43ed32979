"""The floors of docs/architecture.md, enforced: no import reaches up or sideways.

Each unit (a package of ``ghosthands/`` or a top-level module) sits on one floor and may
import only units on lower floors. Imports inside ``if TYPE_CHECKING:`` are types, not
dependencies, and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "ghosthands"

#: Lowest first; the same table as docs/architecture.md.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("crypto", "logs", "netguard", "sdnotify", "signatures"),
    ("config",),
    ("db", "storage", "serving", "supervisor"),
    ("jobs",),
    ("llm", "callbacks"),
    ("browser",),
    ("handlers",),
    ("api", "worker", "deploy", "sample_site", "devstack"),
    ("keys_cli", "recover_cli"),
    ("jobs_cli",),
    ("demo",),
    ("cli",),
    ("__main__",),
)

#: Lower units a unit must not use although they sit below it.
FORBIDDEN: dict[str, frozenset[str]] = {
    # Deploys know nothing of jobs: they run, check and switch releases.
    "deploy": frozenset({"db", "jobs", "llm", "callbacks", "browser", "handlers"}),
}

FLOOR_OF = {unit: n for n, units in enumerate(FLOORS) for unit in units}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _is_unit(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists()


def _type_only_nodes(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            ids.update(id(n) for n in ast.walk(node))
    return ids


def imports_in(module: str, source: str) -> list[str]:
    """The units other than its own that ``module`` (dotted, e.g. ``ghosthands.jobs.queue``)
    imports in ``source``, TYPE_CHECKING blocks left out."""
    unit = _unit(module)
    tree = ast.parse(source)
    skip = _type_only_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "ghosthands":  # modules, not attributes like __version__
                names = [f"ghosthands.{a.name}" for a in node.names if _is_unit(a.name)]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        found += [_unit(n) for n in names if n.startswith("ghosthands.") and _unit(n) != unit]
    return found


def imports() -> list[tuple[str, str, str]]:
    """(importing file, its unit, imported unit) for every cross-unit import."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        module = ".".join(rel.parts)
        for target in imports_in(module, path.read_text("utf-8")):
            found.append((str(rel), _unit(module), target))
    return found


def forbidden(unit: str, target: str) -> bool:
    return FLOOR_OF[target] >= FLOOR_OF[unit] or target in FORBIDDEN.get(unit, ())


def test_every_unit_has_a_floor() -> None:
    units = {p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    units |= {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert units - set(FLOOR_OF) == set(), "add the new unit to FLOORS and the page"
    assert set(FLOOR_OF) - units == set(), "a unit in FLOORS no longer exists"


def test_no_import_crosses_a_floor_the_page_forbids() -> None:
    wrong = [
        f"{path}: {unit} (floor {FLOOR_OF[unit]}) imports {target} (floor {FLOOR_OF[target]})"
        for path, unit, target in imports()
        if forbidden(unit, target)
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "source",
    [
        "from ghosthands.worker.worker import Worker",
        "import ghosthands.browser.provider",
        "from ghosthands import api",
    ],
)
def test_the_check_sees_an_upward_import(source: str, tmp_path: Path) -> None:
    """The walk recognises every import form it claims to check: each of these, written
    in a module of ``jobs/``, is reported as forbidden; behind TYPE_CHECKING it is not."""
    tree = ast.parse(source)
    node = tree.body[0]
    if isinstance(node, ast.ImportFrom):
        assert node.module is not None
        targets = (
            [f"ghosthands.{a.name}" for a in node.names]
            if node.module == "ghosthands"
            else [node.module]
        )
    else:
        assert isinstance(node, ast.Import)
        targets = [a.name for a in node.names]
    assert all(FLOOR_OF[_unit(t)] > FLOOR_OF["jobs"] for t in targets)
    seen = imports_in("ghosthands.jobs.example", source)
    assert seen == [_unit(t) for t in targets]
    assert all(forbidden("jobs", target) for target in seen)
    guarded = f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    {source}\n"
    assert imports_in("ghosthands.jobs.example", guarded) == []


def test_the_page_lists_the_same_floors() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text("utf-8")
    for units in FLOORS:
        for unit in units:
            assert f"`{unit}`" in page, f"docs/architecture.md does not place {unit}"

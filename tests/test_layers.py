"""The layering of docs/ARCHITECTURE.md, enforced on the import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"

# package -> the sim packages it may import (besides itself)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "connect": {"domain"},
    "scenario": {"domain"},
    "store": {"domain"},
    "engine": {"domain", "connect", "scenario"},
    "runner": {"domain", "connect", "scenario", "engine", "store"},
    "analysis": {"domain", "store", "scenario", "runner"},
    "server": {"domain", "connect", "scenario", "engine", "store", "runner", "analysis"},
}
THIRD_PARTY_ONLY_IN = {
    "simpy": {"engine"},
    "sqlalchemy": {"store", "analysis"},
    "psycopg": {"store"},  # the PostgreSQL driver: COPY appends, in sim/store/postgres.py
    "dask": {"analysis"},  # the fan-out of replications, sweeps and probes
    "distributed": {"analysis"},
}


def _package_of(path: Path) -> str:
    rel = path.relative_to(SIM)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> list[Path]:
    return sorted(p for p in SIM.rglob("*.py") if _package_of(p) in ALLOWED)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SIM)))
def test_imports_point_down(path: Path) -> None:
    package = _package_of(path)
    allowed = ALLOWED[package] | {package}
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "sim" and len(parts) > 1 and parts[1] in ALLOWED:
            assert parts[1] in allowed, f"{path.relative_to(SIM)} imports {name}"
        owners = THIRD_PARTY_ONLY_IN.get(parts[0])
        if owners is not None:
            assert package in owners, f"{path.relative_to(SIM)} imports {parts[0]}"


def test_no_global_randomness() -> None:
    """One seeded RNG per run: no module draws from the global random state."""
    offenders = []
    for path in SIM.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for bad in ("random.random()", "random.seed(", "np.random.", "numpy.random."):
            if bad in text:
                offenders.append(f"{path.relative_to(SIM)}: {bad}")
    assert offenders == []


def test_modules_stay_small() -> None:
    """STYLE.md: split a module along a concept before it passes 500 lines."""
    long = [
        f"{p.relative_to(SIM)}: {n}"
        for p in SIM.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    ]
    assert long == []


def test_runner_does_not_import_analysis() -> None:
    """The runner records runs; reading them back is the analysis' job, above it."""
    assert "analysis" not in ALLOWED["runner"]
    names = _imports(SIM / "runner.py")
    assert not [n for n in names if n == "sim.analysis" or n.startswith("sim.analysis.")]


# -- no import cycle inside a package ------------------------------------------


def _module_names() -> dict[str, Path]:
    """Dotted name -> file of every module under sim (a package is its __init__)."""
    out = {}
    for path in SIM.rglob("*.py"):
        parts = path.relative_to(SIM.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        out[name] = path
    return out


def _module_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The sim modules ``name`` imports anywhere in its file: top level, inside
    functions and under ``if TYPE_CHECKING`` alike. ``from pkg import sub``
    counts as importing the submodule ``pkg.sub`` when there is one, else ``pkg``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return found & known


def _package_key(name: str) -> str:
    return ".".join(name.split(".")[:2])  # sim.<package>


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def _package_graph() -> dict[str, set[str]]:
    modules = _module_names()
    known = set(modules)
    return {
        name: {
            m
            for m in _module_imports(name, path, known)
            if m != name and _package_key(m) == _package_key(name)
        }
        for name, path in modules.items()
    }


def test_no_import_cycle_inside_a_package() -> None:
    """Inside each package the imports point one way, TYPE_CHECKING ones included."""
    assert _cycles(_package_graph()) == []


def test_the_cycle_check_sees_a_type_checking_cycle(tmp_path: Path) -> None:
    module = tmp_path / "a.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from sim.p.b import B\n"
        "def f():\n    from . import c\n",
        encoding="utf-8",
    )
    known = {"sim.p", "sim.p.a", "sim.p.b", "sim.p.c"}
    assert _module_imports("sim.p.a", module, known) == {"sim.p.b", "sim.p.c"}
    graph = {"sim.p.a": {"sim.p.b"}, "sim.p.b": {"sim.p.c"}, "sim.p.c": {"sim.p.a"}, "sim.p": set()}
    assert _cycles(graph) == [["sim.p.a", "sim.p.b", "sim.p.c"]]
    assert _cycles({"sim.p.a": {"sim.p.b"}, "sim.p.b": set()}) == []

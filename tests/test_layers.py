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
    """STYLE.md: split a module along a concept before it passes ~500 lines."""
    long = [
        f"{p.relative_to(SIM)}: {n}"
        for p in SIM.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 550
    ]
    assert long == []

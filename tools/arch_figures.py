"""Architecture figures of a checkout: import cycles inside packages, largest
modules, longest functions (issue 11's before/after figures).

    python tools/arch_figures.py [REPO_DIR]

A cycle counts every import, TYPE_CHECKING and function-level ones included;
``from pkg import sub`` is an import of the submodule ``pkg.sub`` if there is
one, else of ``pkg``. tests/test_layers.py enforces "no cycle" on the same
reading (this script uses its reader of a module's imports); this script also
lists what it finds, for any checkout.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_layers import _module_imports as imports  # the test's reading of imports


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for path in (root / "sim").rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        out[".".join(parts).removesuffix(".__init__")] = path
    return out


def simple_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle, each listed once from its smallest module."""
    nodes = sorted(graph)
    found: list[list[str]] = []
    for i, start in enumerate(nodes):
        allowed = set(nodes[i:])

        def walk(v: str, path: list[str], start: str = start, allowed: set[str] = allowed) -> None:
            for w in sorted(graph[v]):
                if w == start:
                    found.append([*path, start])
                elif w in allowed and w not in path:
                    walk(w, [*path, w])

        walk(start, [start])
    return found


def main(root: Path) -> None:
    mods = modules(root)
    known = set(mods)

    def key(m: str) -> list[str]:
        return m.split(".")[:2]

    graph = {
        n: {m for m in imports(n, p, known) if m != n and key(m) == key(n)} for n, p in mods.items()
    }
    cycles = simple_cycles(graph)
    print(f"import cycles inside a package: {len(cycles)}")
    for c in cycles:
        print("  " + " -> ".join(m.removeprefix("sim.") for m in c))
    sizes = sorted(((len(p.read_text().splitlines()), n) for n, p in mods.items()), reverse=True)
    print("largest modules: " + ", ".join(f"{n.removeprefix('sim.')} {k}" for k, n in sizes[:3]))
    funcs = []
    for n, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                funcs.append((length, f"{n.removeprefix('sim.')}.{node.name}"))
    funcs.sort(reverse=True)
    print("longest functions: " + ", ".join(f"{f} {k}" for k, f in funcs[:3]))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve())

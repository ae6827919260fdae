"""Sweep grids: ``--vary PATH=VALUES`` parsed into a path and its list of values.

Syntax (one ``--vary`` per varied parameter; the sweep is their cartesian
product):

* ``agent_groups[0].staffing[0].agents=20..60:5``: an inclusive range with a
  step (``a..b`` alone steps by 1); integers stay integers, a float anywhere
  makes every value a float (``0.01..0.05:0.01``);
* ``campaigns[0].mode=progressive,predictive``: a comma list; each item is an
  int, else a float, else kept as a string (``30s`` stays a duration string
  for the scenario to parse).

Every malformed input raises ``ValueError`` with a message naming the
offending part; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

from sim.scenario.overrides import parse_path

__all__ = ["MAX_POINTS", "grid_points", "parse_value", "parse_vary"]

MAX_POINTS = 10_000
_RANGE = re.compile(r"^(?P<a>[^.:]+(?:\.\d*)?)\.\.(?P<b>[^:]+)(?::(?P<step>.+))?$", re.ASCII)


def parse_value(text: str) -> int | float | str:
    """An int if it reads as one, else a float, else the stripped string."""
    item = text.strip()
    try:
        return int(item)
    except ValueError:
        pass
    try:
        value = float(item)
    except ValueError:
        return item
    if not math.isfinite(value):
        return item
    return value


def _number(text: str, what: str, spec: str) -> int | float:
    value = parse_value(text)
    if isinstance(value, str):
        raise ValueError(f"{spec!r}: {what} {text.strip()!r} is not a number")
    return value


def _range(spec: str, match: re.Match[str]) -> list[int | float]:
    a = _number(match["a"], "range start", spec)
    b = _number(match["b"], "range end", spec)
    step = _number(match["step"], "step", spec) if match["step"] is not None else 1
    if step <= 0:
        raise ValueError(f"{spec!r}: step must be > 0, got {step}")
    if b < a:
        raise ValueError(f"{spec!r}: range end {b} is below its start {a}")
    count = math.floor((b - a) / step + 1e-9) + 1
    if count > MAX_POINTS:
        raise ValueError(f"{spec!r}: {count} values is more than {MAX_POINTS}")
    if all(isinstance(v, int) for v in (a, b, step)):
        return [int(a + i * step) for i in range(count)]
    # Rounded to the step's precision so 0.1 + 0.2 reads as 0.3.
    digits = max(_decimals(match["a"]), _decimals(match["step"] or "1"))
    return [round(a + i * step, digits + 6) for i in range(count)]


def _decimals(text: str) -> int:
    tail = text.strip().partition(".")[2]
    return len(tail.rstrip("0")) if tail.isascii() and tail.isdigit() else 6


def parse_vary(spec: str) -> tuple[str, list[Any]]:
    """``"PATH=VALUES"`` -> ``(PATH, values)``; see the module docstring for VALUES.

    Raises:
        ValueError: no ``=``, a malformed path, an empty value list, a range
            with a bad bound or step, or repeated values.
    """
    path, sep, rest = spec.partition("=")
    path, rest = path.strip(), rest.strip()
    if not sep:
        raise ValueError(f"{spec!r}: expected PATH=VALUES, e.g. campaigns[0].mode=a,b")
    if not path:
        raise ValueError(f"{spec!r}: the path before '=' is empty")
    try:
        parse_path(path)
    except ValueError as exc:
        raise ValueError(f"{spec!r}: {exc}") from None
    if not rest:
        raise ValueError(f"{spec!r}: no values after '='")
    match = _RANGE.match(rest) if "," not in rest else None
    values: list[Any]
    if match is not None:
        values = list(_range(spec, match))
    else:
        items = rest.split(",")
        if any(not item.strip() for item in items):
            raise ValueError(f"{spec!r}: empty item in the value list")
        values = [parse_value(item) for item in items]
    repeated = [v for i, v in enumerate(values) if v in values[:i]]
    if repeated:
        raise ValueError(f"{spec!r}: repeated values {repeated}")
    return path, values


def grid_points(varies: Sequence[tuple[str, Sequence[Any]]]) -> list[dict[str, Any]]:
    """The cartesian product of the varied values, as override dicts, first path slowest.

    Raises:
        ValueError: a path is varied twice, a value list is empty, or the grid
            has more than ``MAX_POINTS`` points.
    """
    paths = [p for p, _ in varies]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ValueError(f"varied more than once: {', '.join(twice)}")
    for path, values in varies:
        if not values:
            raise ValueError(f"{path}: no values to vary over")
    size = math.prod(len(v) for _, v in varies)
    if size > MAX_POINTS:
        raise ValueError(f"the grid has {size} points, more than {MAX_POINTS}")
    return [
        dict(zip(paths, combo, strict=True))
        for combo in itertools.product(*(list(v) for _, v in varies))
    ]

"""Dotted-path overrides of a scenario, for sweeps and comparisons.

``apply_overrides(s, {"agent_groups[0].staffing[0].agents": 30})`` returns a
new, fully re-validated Scenario. Values are written as in YAML (``"30s"``,
numbers, mappings for whole sub-trees).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.loading import parse_scenario, resolved_dict
from sim.scenario.model import Scenario

_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]", re.ASCII)


def parse_path(path: str) -> list[str | int]:
    """``"campaigns[0].mode"`` -> ``["campaigns", 0, "mode"]`` (ValueError if malformed)."""
    steps: list[str | int] = []
    pos = 0
    while pos < len(path):
        match = _STEP.match(path, pos)
        if match is None or (pos == 0 and path.startswith(".")):
            raise ValueError(f"malformed path at {path[pos:]!r}")
        name, index = match.groups()
        steps.append(name if name is not None else int(index))
        pos = match.end()
    if not steps:
        raise ValueError("empty path")
    return steps


def _editable_dict(scenario: Scenario) -> dict[str, Any]:
    """The resolved dict with derived defaults the planner did not set put back to null.

    So they follow the override: a campaign's name its id, its caller id the
    instance's first number, the dialer rate the BatchPutContact quota.
    """
    data = resolved_dict(scenario)
    for campaign, raw in zip(scenario.campaigns, data["campaigns"], strict=True):
        for key in ("name", "source_phone_number"):
            if key not in campaign.model_fields_set:
                raw[key] = None
    if "dialer_calls_per_second" not in scenario.api.model_fields_set:
        data["api"]["dialer_calls_per_second"] = None
    return data


def _set(data: dict[str, Any], steps: list[str | int], value: Any, path: str) -> None:
    node: Any = data
    for depth, step in enumerate(steps):
        where = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in steps[: depth + 1])
        where = where.lstrip(".")
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise ScenarioError([f"{path}: {where} does not exist (the list has {size} items)"])
        elif not isinstance(node, dict) or step not in node:
            hint = f"; keys there: {', '.join(node)}" if isinstance(node, dict) else ""
            raise ScenarioError([f"{path}: {where} does not exist{hint}"])
        if depth == len(steps) - 1:
            node[step] = value
            return
        if node[step] is None:
            node[step] = {}  # an unset optional sub-model, e.g. a campaign's outcomes
        node = node[step]


def apply_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """A new Scenario with each ``path: value`` applied, then fully re-validated.

    Paths are dotted with list indices (``campaigns[0].predictive.target_abandonment``).
    A path that does not exist, or a value that makes the scenario invalid,
    raises ScenarioError.
    """
    data = _editable_dict(scenario)
    for path, value in overrides.items():
        try:
            steps = parse_path(path)
        except ValueError as exc:
            raise ScenarioError([f"{path}: {exc}"]) from None
        _set(data, steps, _plain(value), path)
    try:
        return parse_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError([f"after overrides: {e}" for e in exc.errors]) from None


def _plain(value: Any) -> Any:
    """Values as parse_scenario expects them (tuples as lists)."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value

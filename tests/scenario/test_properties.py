"""Property tests: the validator only ever raises ScenarioError, whatever it is fed."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.scenario import ScenarioError, parse_scenario

from .helpers import MINIMAL

KEYS = [
    "name", "seed", "start", "horizon", "interval", "instance", "agent_groups", "campaigns",
    "outcomes", "durations", "api", "queues", "queue", "id", "mode", "sources", "kind",
    "staffing", "agents", "path", "talk", "mean", "schedule", "at", "action", "rates",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["30s", "1h30m", "09:00", "PT1H", "poisson", "csv", "sales", "+15550100", ""]),
    st.text(max_size=8),
)
JUNK = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), inner, max_size=5),
    ),
    max_leaves=25,
)


def _parse(data: Any) -> None:
    try:
        parse_scenario(data)
    except ScenarioError as exc:
        assert exc.errors
        assert all(isinstance(e, str) and ": " in e for e in exc.errors)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JUNK)
def test_junk_never_raises_anything_but_scenario_error(data: Any) -> None:
    _parse(data)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(MINIMAL)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PATHS), JUNK), min_size=1, max_size=3))
def test_mutated_valid_scenarios_never_raise_anything_else(edits: list[Any]) -> None:
    data = copy.deepcopy(MINIMAL)
    for path, value in edits:
        node: Any = data
        try:
            for step in path[:-1]:
                node = node[step]
            node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit replaced the parent
    _parse(data)

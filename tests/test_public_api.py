"""The public names of each package, pinned: a rename or removal fails here.

To change the public API deliberately, change the package's ``__all__`` and
the list below together.
"""

from __future__ import annotations

import importlib

import pytest

PUBLIC: dict[str, list[str]] = {
    "sim": ["__version__"],
    "sim.domain": [
        "LIVE_OUTCOMES",
        "PAYLOAD_KEYS",
        "STREAM_KIND",
        "TERMINAL_TYPES",
        "AgentState",
        "DialRequest",
        "Event",
        "EventSink",
        "EventType",
        "ListSink",
        "Outcome",
        "StreamKind",
        "Tee",
        "WaitingContact",
    ],
    "sim.connect": [
        "CAMPAIGNS_PRINCIPAL",
        "Campaign",
        "CoreConfig",
        "Faults",
        "OutboundCore",
        "Quota",
        "Quotas",
        "ServiceError",
    ],
    "sim.scenario": [
        "AbandonmentRule",
        "AgentGroup",
        "AmdErrors",
        "ApiSettings",
        "Batch",
        "Break",
        "CallDurations",
        "Campaign",
        "CsvSource",
        "Distribution",
        "Empirical",
        "Exponential",
        "Faults",
        "Fixed",
        "Instance",
        "LogNormal",
        "Outcomes",
        "PiecewiseSource",
        "PoissonSource",
        "PredictiveConfig",
        "PreviewConfig",
        "Quota",
        "Quotas",
        "RateWindow",
        "RedialPolicy",
        "Scenario",
        "ScenarioError",
        "ScheduleEntry",
        "ScheduleSource",
        "Shift",
        "Source",
        "Uniform",
        "apply_overrides",
        "format_duration",
        "format_time_of_day",
        "load_scenario",
        "parse_duration",
        "parse_scenario",
        "parse_time_of_day",
        "resolved_dict",
        "scenario_json_schema",
        "staffing_changes",
    ],
    "sim.store": [
        "DuplicateRun",
        "EventWriter",
        "ProjectionRows",
        "Projector",
        "ReplayResult",
        "RunInfo",
        "Store",
        "StoreError",
        "mark_interrupted",
        "replay",
    ],
    "sim.engine": ["Clock", "Emitter", "Model", "ModelResult"],
}
# Packages that declare no __all__ (yet): pin that too, so adding one is deliberate.
NO_ALL = ["sim.analysis"]


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module]), (
        f"{module}.__all__ changed; if deliberate, update tests/test_public_api.py"
    )
    assert len(set(mod.__all__)) == len(mod.__all__), f"{module}.__all__ repeats a name"


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_public_names_resolve(module: str) -> None:
    mod = importlib.import_module(module)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ lists names it does not define: {missing}"
    namespace: dict[str, object] = {}
    exec(f"from {module} import *", namespace)  # the star import works
    assert set(PUBLIC[module]) <= set(namespace)


@pytest.mark.parametrize("module", NO_ALL)
def test_packages_without_all(module: str) -> None:
    mod = importlib.import_module(module)
    assert not hasattr(mod, "__all__"), (
        f"{module} now declares __all__ = {mod.__all__!r}: pin it in PUBLIC"
    )


def test_version_matches_the_distribution() -> None:
    from importlib.metadata import version

    import sim

    assert sim.__version__ == version("sim")

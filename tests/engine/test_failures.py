"""A run whose model raises is recorded 'failed', keeps its events, raises RunFailed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.engine import Emitter
from sim.runner import RunFailed, run_scenario
from sim.store import Store

from .conftest import Ran

ScenarioRun = Callable[[str], Ran]


class Boom(RuntimeError):
    pass


def fail_after(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Make the engine's ``n``-th emitted event raise instead of being emitted."""
    seen = [0]

    def failing(name: str) -> Callable[..., None]:
        original = getattr(Emitter, name)

        def emit(self: Emitter, *args: Any) -> None:
            seen[0] += 1
            if seen[0] == n:
                raise Boom(f"injected failure at engine event {n}")
            original(self, *args)

        return emit

    for name in ("emit", "emit_next"):  # numbered by the caller, or by the emitter
        monkeypatch.setattr(Emitter, name, failing(name))


# 1: before anything is flushed; 3000: all in the emitter's buffer;
# 8500: after the first 8192-event chunk went to the store.
@pytest.mark.parametrize("n", [1, 3000, 8500])
def test_failed_run_is_recorded_with_its_events(
    n: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scenario_run: ScenarioRun
) -> None:
    clean = scenario_run("quickstart")
    fail_after(monkeypatch, n)
    store = Store(tmp_path / "failed.db")
    with pytest.raises(RunFailed) as caught:
        run_scenario(clean.scenario, store)
    outcome = caught.value.outcome
    assert outcome.status == "failed"
    assert "Boom: injected failure" in (outcome.error or "")
    assert isinstance(caught.value.__cause__, Boom)
    info = store.run(outcome.run_id)
    assert info.status == "failed"
    assert info.error is not None and f"injected failure at engine event {n}" in info.error
    assert "Traceback" in info.error  # the full detail is kept for diagnosis
    assert info.ended_at is not None and info.runtime_s is not None
    # What was emitted before the failure is in the log: a prefix of the clean run.
    kept = list(store.iter_events(outcome.run_id))
    assert info.events == outcome.events == len(kept)
    assert len(kept) >= n - 1  # the core's events come on top of the engine's
    assert kept == clean.events()[: len(kept)]


def test_failed_run_is_not_left_running(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scenario_run: ScenarioRun
) -> None:
    scenario = scenario_run("quickstart").scenario  # before the patch: the cache runs it
    fail_after(monkeypatch, 500)
    store = Store(tmp_path / "failed.db")
    with pytest.raises(RunFailed):
        run_scenario(scenario, store)
    assert [r.status for r in store.runs()] == ["failed"]
    # The store stays usable: a later run in the same file completes.
    monkeypatch.undo()
    outcome = run_scenario(scenario, store)
    assert [r.status for r in store.runs()] == ["failed", "completed"]
    assert outcome.run_id == 2


def test_failed_run_records_how_far_it_got(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, scenario_run: ScenarioRun
) -> None:
    scenario = scenario_run("quickstart").scenario  # before the patch: the cache runs it
    fail_after(monkeypatch, 8500)
    store = Store(tmp_path / "failed.db")
    with pytest.raises(RunFailed) as caught:
        run_scenario(scenario, store)
    info = store.run(caught.value.outcome.run_id)
    assert info.events > 8192  # the failure came after the first chunk was written
    last = max(e.time for e in store.iter_events(info.id))
    assert info.sim_end is not None
    assert info.sim_end >= last > info.sim_start

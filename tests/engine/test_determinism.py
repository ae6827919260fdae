"""Same scenario + seed = same event log; replays rebuild the stored projections.

Runs are compared across two separate database files, column by column:
events as (stream_id, version, type, time, payload) in position order, and
every projection table in its emission (seq) order.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.scenario import load_scenario
from sim.store import replay

from .conftest import GOOD_SCENARIOS, SCENARIOS, Ran, run

ScenarioRun = Callable[[str], Ran]

EVENTS = "SELECT stream_id, version, type, time, payload FROM events WHERE run_id = :run"
TABLES = {
    "events": EVENTS + " ORDER BY position",
    "contacts": "SELECT * FROM contacts WHERE run_id = :run ORDER BY seq",
    "agent_intervals": "SELECT * FROM agent_intervals WHERE run_id = :run ORDER BY seq",
    "interval_kpis": (
        "SELECT * FROM interval_kpis WHERE run_id = :run ORDER BY interval_start, campaign_id"
    ),
}


def rows(ran: Ran, table: str) -> list[tuple[Any, ...]]:
    """The table's rows of the run, without the run_id column."""
    out = ran.sql(TABLES[table])
    if table == "events":
        return out
    return [r[1:] for r in out]  # run_id is the first column of every projection


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_same_seed_gives_identical_tables(
    name: str, scenario_run: ScenarioRun, tmp_path: Path
) -> None:
    first = scenario_run(name)
    second = run(load_scenario(SCENARIOS / f"{name}.yaml"), tmp_path / "second.db")
    assert first.store.url != second.store.url
    for table in TABLES:
        a, b = rows(first, table), rows(second, table)
        assert len(a) == len(b), f"{table}: {len(a)} vs {len(b)} rows"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert x == y, f"{table} row {i} differs:\n{x}\n{y}"
    assert first.outcome.events == second.outcome.events
    assert first.outcome.sim_end == second.outcome.sim_end
    assert first.outcome.pending_at_end == second.outcome.pending_at_end


def test_different_seed_gives_different_contact_ids(
    scenario_run: ScenarioRun, tmp_path: Path
) -> None:
    first = scenario_run("quickstart")
    other = run(first.scenario, tmp_path / "other.db", seed=first.scenario.seed + 1)
    ids = {r[0] for r in first.sql("SELECT contact_id FROM contacts WHERE run_id = :run")}
    other_ids = {r[0] for r in other.sql("SELECT contact_id FROM contacts WHERE run_id = :run")}
    assert ids and other_ids
    assert not ids & other_ids
    assert other.store.run(other.run_id).seed == first.scenario.seed + 1


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_replay_rebuilds_the_stored_projections(name: str, scenario_run: ScenarioRun) -> None:
    ran = scenario_run(name)
    result = replay(ran.store, ran.run_id)
    assert result.equal, result.differences
    assert result.difference_count == 0
    assert result.counts["events"] == (ran.outcome.events, ran.outcome.events)
    for table in ("contacts", "agent_intervals", "interval_kpis"):
        stored, rebuilt = result.counts[table]
        assert stored == rebuilt, table
    assert result.counts["contacts"][0] > 0

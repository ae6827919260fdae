"""Grid parsing, replications, sweeps on Dask workers, and the staffing search."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from sim.analysis.experiments import (
    STEADY_STATE_KPIS,
    format_replication_table,
    format_sweep_table,
    replication_report,
    run_replications,
    run_sweep,
    sweep_report,
)
from sim.analysis.grid import grid_points, parse_vary
from sim.analysis.staffing import find_staffing, staffing_overrides
from sim.scenario import Scenario, parse_scenario
from sim.store import Store, replay

FAST = {"rate": 1000.0, "burst": 1000}


def small(**changes: Any) -> Scenario:
    """A progressive campaign of ~120 requests in 30 minutes: a run takes ~0.1 s."""
    data: dict[str, Any] = {
        "name": "small",
        "seed": 7,
        "start": "2026-10-06T09:00:00-04:00",
        "horizon": "2h",
        "instance": {"queues": ["q"], "concurrent_calls": 100},
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "09:00", "end": "12:00", "agents": 4}],
            }
        ],
        "campaigns": [
            {
                "id": "c",
                "mode": "progressive",
                "queue": "q",
                "sources": [
                    {"kind": "poisson", "rate_per_hour": 240, "batch_size": 1, "end": "30m"}
                ],
            }
        ],
        "durations": {"talk": {"kind": "exponential", "mean": "60s"}},
        "api": {"quotas": {"batch_put_contact": FAST}, "dialer_calls_per_second": 100},
    }
    data.update(changes)
    return parse_scenario(data)


# --------------------------------------------------------------------------- grid


@pytest.mark.parametrize(
    ("spec", "path", "values"),
    [
        ("agent_groups[0].staffing[0].agents=20..60:5", "agent_groups[0].staffing[0].agents",
         [20, 25, 30, 35, 40, 45, 50, 55, 60]),
        ("a=1..3", "a", [1, 2, 3]),
        ("a=5..5", "a", [5]),
        ("a=20..31:5", "a", [20, 25, 30]),
        ("x.y=0.01..0.05:0.01", "x.y", [0.01, 0.02, 0.03, 0.04, 0.05]),
        ("campaigns[0].mode=progressive,predictive", "campaigns[0].mode",
         ["progressive", "predictive"]),
        ("a = 1, 2.5, 30s ", "a", [1, 2.5, "30s"]),
        ("a=-2..2:2", "a", [-2, 0, 2]),
    ],
)  # fmt: skip
def test_parse_vary(spec: str, path: str, values: list[Any]) -> None:
    got_path, got = parse_vary(spec)
    assert got_path == path
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("agents", "expected PATH=VALUES"),
        ("=1,2", "path before '=' is empty"),
        ("a=", "no values"),
        ("a[x]=1", "malformed path"),
        ("a=1..10:0", "step must be > 0"),
        ("a=1..10:-1", "step must be > 0"),
        ("a=10..1", "below its start"),
        ("a=x..y", "range start 'x' is not a number"),
        ("a=1..y", "range end 'y' is not a number"),
        ("a=1..5:z", "step 'z' is not a number"),
        ("a=1,,2", "empty item"),
        ("a=1,2,1", "repeated values"),
        ("a=1..1000000", "more than"),
    ],
)
def test_parse_vary_errors(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_vary(spec)


def test_grid_points_is_the_cartesian_product() -> None:
    points = grid_points([("a", [1, 2]), ("b", ["x", "y", "z"])])
    assert len(points) == 6
    assert points[:3] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"}]
    with pytest.raises(ValueError, match="varied more than once: a"):
        grid_points([("a", [1]), ("a", [2])])
    with pytest.raises(ValueError, match="no values"):
        grid_points([("a", [])])


# --------------------------------------------------------------------------- replications


def test_replications_use_distinct_seeds_and_give_intervals(dask_cluster: Any) -> None:
    store = Store(":memory:")  # workers cannot open it: runs are shipped back
    ids = run_replications(small(), store, 4, base_seed=100, cluster=dask_cluster)
    infos = [store.run(i) for i in ids]
    assert [i.seed for i in infos] == [100, 101, 102, 103]
    assert [i.replication for i in infos] == [0, 1, 2, 3]
    assert len({i.sweep for i in infos}) == 1 and infos[0].sweep is not None
    report = replication_report(store, ids)
    assert report["runs"] == ids and report["failed"] == []
    occupancy = report["kpis"]["agent_occupancy"]
    assert occupancy["n"] == 4 and occupancy["low"] < occupancy["mean"] < occupancy["high"]
    assert report["kpis"]["dial_requests_accepted"]["half_width"] > 0  # seeds differ
    table = format_replication_table(report)
    assert "agent_occupancy" in table and "95% low" in table
    assert report["analytic"] is None  # default outcomes: not an M/M/c


def test_warmup_changes_only_the_steady_state_kpis(dask_cluster: Any) -> None:
    store = Store(":memory:")
    ids = run_replications(small(), store, 2, cluster=dask_cluster)
    whole = replication_report(store, ids)["kpis"]
    steady = replication_report(store, ids, warmup_s=900.0)["kpis"]
    for key in whole:
        if key not in STEADY_STATE_KPIS:
            assert whole[key] == steady[key], key
    assert whole["agent_occupancy"] != steady["agent_occupancy"]
    with pytest.raises(ValueError, match="warmup_s"):
        replication_report(store, ids, warmup_s=-1.0)


# --------------------------------------------------------------------------- sweeps


def test_sweep_with_two_workers_lands_in_one_database(tmp_path: Path, dask_cluster: Any) -> None:
    url = str(tmp_path / "sweep.db")
    varies = [
        parse_vary("agent_groups[0].staffing[0].agents=2..6:2"),
        ("campaigns[0].api", ["v1", "v2"]),
    ]
    done: list[tuple[int, int]] = []
    sweep = run_sweep(
        small(), url, varies, k=2, progress=lambda d, t: done.append((d, t)), cluster=dask_cluster
    )
    assert done[-1] == (12, 12)
    store = Store(url)
    runs = [r for r in store.runs() if r.sweep == sweep]
    assert len(runs) == 12
    assert all(r.status == "completed" for r in runs)
    assert len({r.id for r in runs}) == 12
    for info in runs[:3]:  # log and projections agree with each other
        assert replay(store, info.id).equal
    report = sweep_report(store, sweep)
    assert [e["point"] for e in report][:2] == [
        {"agent_groups[0].staffing[0].agents": 2, "campaigns[0].api": "v1"},
        {"agent_groups[0].staffing[0].agents": 2, "campaigns[0].api": "v2"},
    ]
    assert all(len(e["runs"]) == 2 for e in report)
    assert all(e["seeds"] == [7, 8] for e in report)  # common random numbers
    occupancy = [e["kpis"]["agent_occupancy"]["mean"] for e in report]
    assert occupancy[0] > occupancy[-1]  # more agents, lower occupancy
    table = format_sweep_table(report)
    assert "list_completion_s" in table and "+-" in table and len(table.splitlines()) == 7


def test_sweep_rejects_a_bad_point_before_running(tmp_path: Path) -> None:
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="agents"):
        run_sweep(
            small(), str(tmp_path / "x.db"), [("agent_groups[0].staffing[0].agents", [-1])], 1, 1
        )
    with pytest.raises(ValueError, match="no runs with sweep id"):
        sweep_report(Store(tmp_path / "x.db"), "nope")


# --------------------------------------------------------------------------- staffing


def list_scenario() -> Scenario:
    """300 requests at once, 120 s fixed talk, all answered live: ~20 agents in 30 min."""
    return small(
        horizon="1h",
        outcomes={"live_answer": 1, "voicemail": 0, "no_answer": 0, "busy": 0, "invalid_number": 0},
        durations={"ring_to_answer": 0, "talk": 120},
        campaigns=[
            {
                "id": "c",
                "mode": "progressive",
                "queue": "q",
                "answering_machine_detection": False,
                "sources": [
                    {
                        "kind": "schedule",
                        "batches": [{"at": 0, "count": 25}] * 12,
                        "expires_after": "2h",
                    }
                ],
            }
        ],
    )


def test_staffing_overrides_set_every_shift() -> None:
    two_shifts = small(
        agent_groups=[
            {
                "name": "g",
                "queue": "q",
                "staffing": [
                    {"start": "09:00", "end": "10:00", "agents": 4},
                    {"start": "10:00", "end": "12:00", "agents": 8},
                ],
            }
        ]
    )
    assert staffing_overrides(two_shifts, "agent_groups[0].staffing", 5) == {
        "agent_groups[0].staffing[0].agents": 5,
        "agent_groups[0].staffing[1].agents": 5,
    }
    with pytest.raises(ValueError, match="no such list"):
        staffing_overrides(two_shifts, "agent_groups[3].staffing", 5)


def test_find_staffing_bisects_to_the_fewest_agents(dask_cluster: Any) -> None:
    result = find_staffing(
        list_scenario(), deadline_s=1790.0, max_abandonment=0.05, k=3, cluster=dask_cluster
    )
    # 300 calls x 120 s: 19 agents dial the last one at 15 x 120 = 1800 s, past the
    # deadline; 20 agents dial it at 1680 s.
    assert result.agents == 20
    assert len(result.probes) < result.agents  # fewer than a walk from 1
    by_agents = {p.agents: p for p in result.probes}
    assert by_agents[20].passed and not by_agents[19].passed
    assert all(p.passed == (p.agents >= 20) for p in result.probes)
    assert "20 agents is the fewest" in result.explanation
    assert math.isfinite(by_agents[20].list_completion_s.high)


def test_find_staffing_says_when_nothing_up_to_the_cap_works(dask_cluster: Any) -> None:
    result = find_staffing(
        list_scenario(), deadline_s=60.0, max_abandonment=0.05, k=2, high=8, cluster=dask_cluster
    )
    assert result.agents is None
    assert "no headcount from 1 to 8" in result.explanation
    with pytest.raises(ValueError, match="k must be at least 2"):
        find_staffing(list_scenario(), deadline_s=1.0, max_abandonment=0.1, k=1)

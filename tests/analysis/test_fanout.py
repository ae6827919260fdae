"""Runs as Dask tasks: the same stored runs on any number of workers, by either
delivery, and nothing lost or doubled when a worker is killed mid-sweep."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sim.analysis.experiments import run_sweep, sweep_report
from sim.analysis.fanout import ClusterError, Task, open_cluster, run_direct
from sim.runner import run_scenario
from sim.scenario import apply_overrides, load_scenario, parse_scenario, resolved_dict
from sim.store import Store, replay
from sim.store.schema import events, runs

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml"
AGENTS = "agent_groups[0].staffing[0].agents"

# Per run, what must not depend on the worker: the record's simulation fields,
# the log and every projection (run_id and wall-clock fields left out).
RECORD = ("name", "scenario", "seed", "status", "sim_start", "sim_end", "events", "interval_s")
TABLES = {
    "log": "SELECT stream_no, stream_id, version, type, time, payload FROM events"
    " WHERE run_id = {} ORDER BY position",
    "contacts": "SELECT * FROM contacts WHERE run_id = {} ORDER BY seq",
    "agent_intervals": "SELECT * FROM agent_intervals WHERE run_id = {} ORDER BY seq",
    "interval_kpis": "SELECT * FROM interval_kpis WHERE run_id = {}"
    " ORDER BY interval_start, campaign_id",
}


@pytest.fixture(params=["sqlite-file", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        with request.getfixturevalue("postgres_database")() as pg:
            yield pg
    else:
        yield str(tmp_path / "sweep.db")


def stored_runs(store: Store, sweep: str) -> dict[tuple[str, int], dict[str, Any]]:
    """Every run of ``sweep`` by (point JSON, replication): record fields and table rows."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    with store.engine.connect() as conn:
        rows = conn.execute(select(runs).where(runs.c.sweep == sweep)).mappings().all()
        for row in rows:
            key = (row["point"], row["replication"])
            assert key not in out, f"two runs of task {key}"
            run = {name: row[name] for name in RECORD}
            for table, sql in TABLES.items():
                got = conn.exec_driver_sql(sql.format(int(row["id"]))).all()
                run[table] = [tuple(r) if table == "log" else tuple(r)[1:] for r in got]
            out[key] = run
    return out


def test_same_sweep_on_one_and_two_workers_stores_identical_runs(
    url: str, dask_cluster: Any
) -> None:
    scenario = load_scenario(QUICKSTART)
    grid = [(AGENTS, [12, 20])]
    with open_cluster(1) as one:
        first = run_sweep(scenario, url, grid, k=2, cluster=one)
    second = run_sweep(scenario, url, grid, k=2, cluster=dask_cluster)
    shipped = run_sweep(scenario, url, grid, k=2, cluster=dask_cluster, deliver="ship")
    store = Store(url)
    a, b, c = (stored_runs(store, s) for s in (first, second, shipped))
    assert len(a) == 4 and set(a) == set(b) == set(c)
    for key in a:
        assert a[key]["status"] == "completed" and a[key]["events"] > 10_000
        assert a[key] == b[key] == c[key], key
    # Reports read the same figures whichever way the runs were made.
    kpis = [sweep_report(store, s)[0]["kpis"] for s in (first, second, shipped)]
    for k in kpis:
        k.pop("runtime_s")  # wall clock: the one figure that may differ
    assert kpis[0] == kpis[1] == kpis[2]
    store.dispose()


def _killable(data: dict[str, Any]) -> dict[str, Any]:
    """Quickstart with ~50,000 events a run: the writer commits chunks mid-run."""
    data = dict(data)
    data["agent_groups"] = [dict(data["agent_groups"][0], staffing=[
        dict(data["agent_groups"][0]["staffing"][0], agents=60)
    ])]  # fmt: skip
    source = dict(data["campaigns"][0]["sources"][0], max_requests=4000, rate_per_hour=240)
    data["campaigns"] = [dict(data["campaigns"][0], sources=[source])]
    return data


def _victim_direct(store: Store, deadline: float) -> tuple[int, tuple[str, int]]:
    """The worker pid and task of a run that has committed events but is still running."""
    while time.monotonic() < deadline:
        with store.engine.connect() as conn:
            found = conn.execute(
                select(runs.c.pid, runs.c.point, runs.c.replication)
                .where(runs.c.status == "running")
                .where(
                    select(func.count()).where(events.c.run_id == runs.c.id).scalar_subquery() > 0
                )
            ).first()
        if found is not None:
            return int(found[0]), (str(found[1]), int(found[2]))
        time.sleep(0.05)
    raise AssertionError("no run was ever half-written")


def _victim_busy(cluster: Any, deadline: float) -> int:
    """The pid of a worker that is running a task."""
    while time.monotonic() < deadline:
        busy = [w for w, keys in cluster.client.processing().items() if keys]
        if busy:
            time.sleep(1.0)  # well into the run
            pids = cluster.client.run(os.getpid, workers=busy[:1])
            return int(next(iter(pids.values())))
        time.sleep(0.05)
    raise AssertionError("no worker ever ran a task")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "deliver"),
    [("sqlite-file", "direct"), ("postgresql", "direct"), ("sqlite-file", "ship")],
)
def test_killed_worker_loses_nothing_and_doubles_nothing(
    backend: str, deliver: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = str(tmp_path / "killed.db")
    data = _killable(resolved_dict(load_scenario(QUICKSTART)))
    scenario = parse_scenario(data)
    grid = [(AGENTS, [60])]  # two tasks, one per worker: one of them is killed
    store = Store(url)
    result: dict[str, Any] = {}
    with open_cluster(2) as cluster:

        def sweep() -> None:
            try:
                result["sweep"] = run_sweep(
                    scenario, url, grid, k=2, cluster=cluster, deliver=deliver
                )
            except BaseException as error:  # reported by the main thread
                result["error"] = error

        worker = threading.Thread(target=sweep)
        worker.start()
        deadline = time.monotonic() + 240
        if deliver == "direct":
            pid, task = _victim_direct(store, deadline)
        else:  # which task dies is not known here: any of them checks the rerun
            pid, task = _victim_busy(cluster, deadline), (f'{{"{AGENTS}":60}}', 0)
        os.kill(pid, signal.SIGKILL)
        worker.join(timeout=600)
    assert "error" not in result, result.get("error")
    found = stored_runs(store, result["sweep"])
    # Exactly one run per (point, replication), completed, nothing half-written left.
    assert sorted((p, r) for p, r in found) == sorted((f'{{"{AGENTS}":60}}', r) for r in (0, 1))
    assert all(run["status"] == "completed" for run in found.values())
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(runs)).scalar() == 2
        assert conn.execute(select(runs.c.pid).where(runs.c.pid == pid)).first() is None
    for info in store.runs():
        assert replay(store, info.id).equal
    # The rerun is the run itself: the same log as a run of that task made here.
    point, replication = task
    reference = Store("sqlite://")
    ref_id = run_scenario(
        apply_overrides(scenario, json.loads(point)),
        reference,
        seed=scenario.seed + replication,
        writer="inline",
    ).run_id
    ref_log = reference_log(reference, ref_id)
    assert found[task]["log"] == ref_log and len(ref_log) > 40_000
    store.dispose()


def reference_log(store: Store, run_id: int) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(TABLES["log"].format(run_id)).all()]


def test_a_task_already_completed_is_not_run_again(tmp_path: Path) -> None:
    """A task delivered twice (Dask reran it after its first result was stored)
    returns the stored run and simulates nothing."""
    url = str(tmp_path / "once.db")
    data = resolved_dict(load_scenario(QUICKSTART))
    task = Task(data, 42, "s-1", {AGENTS: 20}, 0)
    first = run_direct(task, url)
    assert run_direct(task, url) == first  # a new run would have a new id
    assert [r.id for r in Store(url).runs()] == [first]


def test_unreachable_scheduler_is_a_clear_error() -> None:
    with (
        pytest.raises(
            ClusterError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"
        ),
        open_cluster(scheduler="tcp://127.0.0.1:9"),
    ):
        pass

"""Exactly one completed run per sweep task; shipped and copied runs (contract suite)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sim.store import DuplicateRun, Store, replay
from sim.store.schema import events, runs
from sim.store.shipping import ShippingStore, copy_run, receive_run
from sim.store.tasks import TaskKey, claim, prune_sweep, settle_duplicate

from .conftest import write_run
from .factories import SAMPLE_END, START, sample_run

KEY = TaskKey("sweep-1", {"agents": 3, "mode": "progressive"}, 2)
LOG_SQL = (
    "SELECT stream_no, stream_id, version, type, time, payload FROM events"
    " WHERE run_id = {} ORDER BY position"
)


def _task_run(store: Store, key: TaskKey, n_events: int | None = None) -> int:
    """A run of ``key`` with the sample log (all of it, or the first ``n_events``
    written and the run left 'running', as a killed worker leaves it)."""
    log = sample_run().events
    run_id = store.begin_run(
        name="t",
        scenario={},
        seed=7,
        version="test",
        sim_start=START,
        sweep=key.sweep,
        point=key.point,
        replication=key.replication,
    )
    writer = store.writer(run_id, 900.0, chunk_size=5)
    if n_events is not None:
        writer.append(log[:n_events])
        return run_id
    writer.append(log)
    count = writer.close(SAMPLE_END)
    store.finish_run(
        run_id, status="completed", error=None, sim_end=SAMPLE_END, runtime_s=1.0, events=count
    )
    return run_id


def _count(store: Store, table: Any, run_id: int) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(table.c.run_id == run_id)).scalar())


def _log(store: Store, run_id: int) -> list[tuple[Any, ...]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(LOG_SQL.format(int(run_id))).all()]


def test_claim_deletes_half_written_runs_of_the_task_only(store: Store) -> None:
    other_point = TaskKey(KEY.sweep, {"agents": 4, "mode": "progressive"}, 2)
    half = _task_run(store, KEY, n_events=12)
    keep = _task_run(store, other_point, n_events=12)
    assert _count(store, events, half) == 12  # committed, then the writer "killed"
    assert claim(store, KEY) is None
    assert [r.id for r in store.runs()] == [keep]
    assert _count(store, events, half) == 0 and _count(store, events, keep) == 12
    done = _task_run(store, KEY)
    assert claim(store, KEY) == done  # a finished task is not simulated again
    assert replay(store, done).equal


def test_a_second_completed_run_of_a_task_is_refused(store: Store) -> None:
    first = _task_run(store, KEY)
    with pytest.raises(DuplicateRun, match="already has a completed run"):
        _task_run(store, KEY)
    loser = max(r.id for r in store.runs())
    assert store.run(loser).status == "running"  # left as it was
    assert settle_duplicate(store, KEY, loser) == first
    assert [r.id for r in store.runs()] == [first]
    # Runs outside sweeps are never keyed: any number may complete.
    a, b = write_run(store, sample_run().events), write_run(store, sample_run().events)
    assert store.run(a).status == store.run(b).status == "completed"


def test_prune_sweep_drops_leftovers_of_finished_tasks(store: Store) -> None:
    orphan_key = TaskKey(KEY.sweep, {"agents": 9}, 0)
    leftover = _task_run(store, KEY, n_events=3)
    with store.engine.begin() as conn:  # as if a zombie attempt wrote it after the claim
        conn.execute(runs.update().where(runs.c.id == leftover).values(status="failed"))
    done = _task_run(store, KEY)
    unfinished = _task_run(store, orphan_key, n_events=3)  # no completed run: kept
    assert prune_sweep(store, KEY.sweep) == [leftover]
    assert sorted(r.id for r in store.runs()) == sorted([done, unfinished])


def _shipped_run(key: TaskKey | None = None) -> Any:
    source = ShippingStore()
    run_id = source.begin_run(
        name="t",
        scenario={"x": 1},
        seed=7,
        version="test",
        sim_start=START,
        sweep=None if key is None else key.sweep,
        point=None if key is None else key.point,
        replication=None if key is None else key.replication,
    )
    writer = source.writer(run_id, 900.0, chunk_size=4)
    writer.append(sample_run().events)
    count = writer.close(SAMPLE_END)
    source.finish_run(
        run_id, status="completed", error=None, sim_end=SAMPLE_END, runtime_s=1.0, events=count
    )
    shipped = source.take(run_id)
    source.dispose()
    return shipped


def test_a_shipped_run_lands_as_if_written_here(store: Store) -> None:
    reference = write_run(store, sample_run().events, chunk_size=4)
    shipped = _shipped_run(KEY)
    assert shipped.size > 0 and len(shipped.batches) > 1
    got = receive_run(store, shipped)
    assert _log(store, got) == _log(store, reference)
    assert replay(store, got).equal
    info = store.run(got)
    assert (info.status, info.sweep, info.point, info.replication) == (
        "completed",
        KEY.sweep,
        dict(KEY.point),
        KEY.replication,
    )
    assert receive_run(store, _shipped_run(KEY)) == got  # delivered twice: stored once
    assert len(store.runs()) == 2


def test_copy_run_between_backends(store: Store, tmp_path: Path) -> None:
    source = Store(tmp_path / "source.db")
    original = write_run(source, sample_run().events)
    copied = copy_run(source, store, original)
    assert _log(store, copied) == _log(source, original)
    assert replay(store, copied).equal
    assert store.run(copied).events == source.run(original).events
    back = copy_run(store, source, copied)
    assert _log(source, back) == _log(source, original)
    source.dispose()

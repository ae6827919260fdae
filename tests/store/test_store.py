"""Store contract suite, run against every backend in the ``store`` fixture."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from sim.domain import Event
from sim.store import Store, StoreError, mark_interrupted
from sim.store.schema import events, runs

from .conftest import write_run
from .factories import SAMPLE_END, START, sample_run


def _begin(store: Store, **kw: object) -> int:
    args: dict = {
        "name": "r",
        "scenario": {"a": 1},
        "seed": 3,
        "version": "0.1",
        "sim_start": START,
    }
    return store.begin_run(**(args | kw))


def test_run_record_round_trip(store: Store) -> None:
    run_id = _begin(
        store,
        scenario={"agents": {"n": 5}, "start": "2026-01-01"},
        sweep="s1",
        point={"agents.n": 5},
        replication=2,
    )
    info = store.run(run_id)
    assert (info.status, info.scenario, info.point, info.replication) == (
        "running",
        {"agents": {"n": 5}, "start": "2026-01-01"},
        {"agents.n": 5},
        2,
    )
    assert info.pid == os.getpid() and info.ended_at is None
    store.finish_run(
        run_id, status="failed", error="boom", sim_end=START + 5, runtime_s=0.25, events=0
    )
    info = store.run(None)
    assert (info.id, info.status, info.error, info.sim_end, info.runtime_s) == (
        run_id,
        "failed",
        "boom",
        START + 5,
        0.25,
    )
    assert info.ended_at is not None
    assert [r.id for r in store.runs()] == [run_id]


def test_missing_run_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="no runs in"):
        store.run(None)
    _begin(store)
    _begin(store)
    with pytest.raises(StoreError, match=r"no run 7 in .* \(runs: 1-2\)"):
        store.run(7)
    with pytest.raises(StoreError, match="status"):
        store.finish_run(1, status="done", error=None, sim_end=0, runtime_s=0, events=0)


def test_events_round_trip_exactly(store: Store) -> None:
    log = sample_run().events
    weird = Event(
        "x",
        1,
        "CAMPAIGN_STATE_CHANGED",
        START + 0.1 + 0.2,
        {"state": "RUNNING", "previous": None, "f": 1e-310, "g": 0.1 + 0.2, "n": 2**53},
    )
    run_id = write_run(store, [*log, weird])
    back = list(store.iter_events(run_id, batch=4))
    assert back == [*log, weird]  # order, versions, floats, payload dict order
    assert list(back[-1].payload) == ["state", "previous", "f", "g", "n"]
    assert store.run(run_id).events == len(log) + 1


def test_writer_chunks_each_in_one_transaction(store: Store) -> None:
    run_id = _begin(store)
    writer = store.writer(run_id, 900.0, chunk_size=10)
    log = sample_run().events
    writer.append(log[:9])
    assert writer.events_written == 0  # below chunk_size: nothing written yet
    writer.append(log[9:25])
    assert writer.events_written == 25
    with store.engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(events)).scalar()
    assert stored == 25
    writer.append(log[25:])
    assert writer.close(SAMPLE_END) == len(log)
    with pytest.raises(StoreError, match="closed"):
        writer.append(log[:1])


def test_duplicate_stream_version_is_refused_whole_chunk(store: Store) -> None:
    run_id = _begin(store)
    writer = store.writer(run_id, 900.0, chunk_size=100)
    ev = Event(
        "s", 1, "CAMPAIGN_CREATED", START, {"name": "n", "mode": "m", "queue_id": "q", "api": "v2"}
    )
    writer.append([ev])
    writer.flush()
    writer.append([ev._replace(stream_id="other"), ev])
    with pytest.raises(StoreError, match=r"duplicate event: \(run, stream, version\)"):
        writer.flush()
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 1
    with pytest.raises(StoreError, match="broken"):
        writer.append([ev])


def test_same_stream_in_two_runs_is_fine(store: Store) -> None:
    log = sample_run().events
    a, b = write_run(store, log), write_run(store, log)
    assert list(store.iter_events(a)) == list(store.iter_events(b))


def test_mark_interrupted_only_touches_dead_owners(store: Store) -> None:
    mine, dead, foreign = _begin(store), _begin(store), _begin(store)
    writer = store.writer(dead, 900.0, chunk_size=5)
    log = sample_run().events
    writer.append(log[:6])  # committed (a chunk is 5)
    writer.append(log[6:9])  # buffered, lost with the process
    with store.engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == dead).values(pid=2**22 + 12345))
        conn.execute(runs.update().where(runs.c.id == foreign).values(host="elsewhere"))
    assert mark_interrupted(store) == [dead]
    info = store.run(dead)
    assert (info.status, info.events, info.sim_end, info.killed) == ("interrupted", 6, None, True)
    assert info.error is not None and f"process {2**22 + 12345} is gone" in info.error
    assert store.run(mine).status == "running" and store.run(foreign).status == "running"
    _begin(store)  # begin_run sweeps too; nothing more to do
    assert mark_interrupted(store, all_hosts=True) == [foreign]
    assert "every host" in (store.run(foreign).error or "")
    assert store.run(mine).status == "running"


def test_path_and_url_forms(tmp_path) -> None:  # type: ignore[no-untyped-def]
    for url in (tmp_path / "a.db", str(tmp_path / "b.db"), f"sqlite:///{tmp_path / 'c.db'}"):
        s = Store(url)
        _begin(s)
        assert s.engine.dialect.name == "sqlite"
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60000
        s.dispose()
    assert (tmp_path / "a.db").exists() and (tmp_path / "c.db").exists()

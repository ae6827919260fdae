"""The background (process) writer writes exactly what the inline writer writes.

Also: failures in the writer process surface in the caller, a failed run
keeps what was committed, and ``writer="auto"`` picks sensibly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.engine import Model
from sim.runner import RunFailed, choose_writer, estimated_requests, run_scenario
from sim.scenario import load_scenario
from sim.store import Store, StoreError
from sim.store.background import BackgroundWriter

from .factories import SAMPLE_END, START, sample_run

QUICKSTART = Path(__file__).resolve().parents[2] / "scenarios" / "quickstart.yaml"

TABLES = {
    "events": "SELECT stream_id, version, type, time, payload FROM events"
    " WHERE run_id = ? ORDER BY position",
    "contacts": "SELECT * FROM contacts WHERE run_id = ? ORDER BY seq",
    "agent_intervals": "SELECT * FROM agent_intervals WHERE run_id = ? ORDER BY seq",
    "interval_kpis": "SELECT * FROM interval_kpis WHERE run_id = ?"
    " ORDER BY interval_start, campaign_id",
}


def _tables(store: Store, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        out = {
            name: list(conn.exec_driver_sql(sql, (run_id,)).all()) for name, sql in TABLES.items()
        }
    # run_id is the first column of every projection; the runs differ in it.
    return {k: [tuple(r) if k == "events" else tuple(r)[1:] for r in v] for k, v in out.items()}


def _begin(store: Store) -> int:
    return store.begin_run(name="bg", scenario={}, seed=1, version="test", sim_start=START)


def test_inline_and_process_writers_give_identical_tables(tmp_path: Path) -> None:
    scenario = load_scenario(QUICKSTART)
    inline_store, process_store = Store(tmp_path / "inline.db"), Store(tmp_path / "process.db")
    inline = run_scenario(scenario, inline_store, writer="inline")
    process = run_scenario(scenario, process_store, writer="process")
    a, b = _tables(inline_store, inline.run_id), _tables(process_store, process.run_id)
    for table in TABLES:
        assert len(a[table]) > 0 or table == "interval_kpis"
        assert a[table] == b[table], table
    assert (inline.events, inline.sim_end) == (process.events, process.sim_end)
    assert process_store.run(process.run_id).status == "completed"
    inline_store.dispose()
    process_store.dispose()


def test_background_writer_round_trips_the_sample_log(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    run_id = _begin(store)
    log = sample_run().events
    writer = BackgroundWriter(store, run_id, 900.0, chunk=5)
    for i in range(0, len(log), 3):
        writer.append(log[i : i + 3])
    assert writer.close(SAMPLE_END) == len(log)
    assert list(store.iter_events(run_id)) == log
    with pytest.raises(StoreError, match="closed"):
        writer.append(log[:1])
    store.dispose()


def test_child_failure_surfaces_and_committed_chunks_stay(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    run_id = _begin(store)
    log = sample_run().events
    writer = BackgroundWriter(store, run_id, 900.0, chunk=len(log), writer_chunk=len(log))
    writer.append(log)  # one chunk, committed by the child on its own
    writer.append([log[0]])  # the same (stream, version) again: the child's insert fails
    with pytest.raises(StoreError, match="background event writer failed"):
        writer.close(SAMPLE_END)
    assert len(list(store.iter_events(run_id))) == len(log)
    with pytest.raises(StoreError):
        writer.append(log[:1])
    store.dispose()


def test_model_failure_with_process_writer_marks_the_run_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Model.run

    def run_then_fail(self: Model, progress: Any = None) -> Any:
        original(self, progress)
        self.emitter.flush()
        raise RuntimeError("boom after the run")

    monkeypatch.setattr(Model, "run", run_then_fail)
    store = Store(tmp_path / "f.db")
    with pytest.raises(RunFailed) as caught:
        run_scenario(load_scenario(QUICKSTART), store, writer="process")
    outcome = caught.value.outcome
    info = store.run(outcome.run_id)
    assert info.status == "failed"
    assert info.error is not None and "boom after the run" in info.error
    assert len(list(store.iter_events(outcome.run_id))) == outcome.events > 0
    store.dispose()


def test_process_writer_needs_a_file(tmp_path: Path) -> None:
    store = Store("sqlite://")
    with pytest.raises(StoreError, match="memory"):
        BackgroundWriter(store, _begin(store), 900.0)
    store.dispose()


def test_auto_picks_the_process_writer_for_big_runs_on_files(tmp_path: Path) -> None:
    small = load_scenario(QUICKSTART)
    assert estimated_requests(small) == 1000  # max_requests caps the poisson source
    campaign = small.campaigns[0]
    source = campaign.sources[0].model_copy(
        update={"max_requests": 200_000, "rate_per_hour": 10_000.0}
    )
    big = small.model_copy(
        update={"campaigns": (campaign.model_copy(update={"sources": (source,)}),)}
    )
    assert estimated_requests(big) == 200_000
    assert choose_writer(small, Store(tmp_path / "a.db")) == "inline"
    assert choose_writer(big, Store(tmp_path / "b.db")) == "process"
    assert choose_writer(big, Store("sqlite://")) == "inline"
    assert choose_writer(big, Store(tmp_path / "c.db"), "inline") == "inline"
    with pytest.raises(ValueError, match="writer must be one of"):
        run_scenario(small, Store(tmp_path / "d.db"), writer="bogus")


def test_row_batches_ship_as_marshal_or_else_pickle() -> None:
    from sim.domain import Outcome
    from sim.store.background import _decode, _encode

    plain = (3, [(1, "s", 1, "INITIATED", 1.5, "{}")], [], [], [])
    fancy = (1, [], [("c", Outcome.CONNECTED)], [], [])
    assert _encode(plain)[:1] == b"M" and _decode(_encode(plain)) == plain
    assert _encode(fancy)[:1] == b"P" and _decode(_encode(fancy)) == fancy

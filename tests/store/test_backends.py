"""Contract suite, across backends: the same seed gives the same log and report on
SQLite and PostgreSQL, and several processes can write runs into one store at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from sim.analysis.summary import run_summary
from sim.runner import run_scenario
from sim.scenario import load_scenario
from sim.store import Store, StoreError, replay

from .conftest import BACKENDS, open_backend

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "scenarios" / "quickstart.yaml"
TABLES = {
    "events": "SELECT stream_no, stream_id, version, type, time, payload FROM events"
    " WHERE run_id = {} ORDER BY position",
    "contacts": "SELECT * FROM contacts WHERE run_id = {} ORDER BY seq",
    "agent_intervals": "SELECT * FROM agent_intervals WHERE run_id = {} ORDER BY seq",
    "interval_kpis": "SELECT * FROM interval_kpis WHERE run_id = {}"
    " ORDER BY interval_start, campaign_id",
}


def _rows(store: Store, run_id: int) -> dict[str, list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        return {
            name: [
                tuple(r) if name == "events" else tuple(r)[1:]
                for r in conn.exec_driver_sql(sql.format(int(run_id))).all()
            ]
            for name, sql in TABLES.items()
        }


def test_same_seed_same_log_and_report_on_sqlite_and_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    scenario = load_scenario(QUICKSTART)
    sqlite, postgres = Store(tmp_path / "q.db"), Store(postgres_url)
    a = run_scenario(scenario, sqlite, seed=5).run_id
    b = run_scenario(scenario, postgres, seed=5).run_id
    rows_a, rows_b = _rows(sqlite, a), _rows(postgres, b)
    assert len(rows_a["events"]) > 10_000
    for table in TABLES:  # stream ids, versions, types, times, payload JSON: every byte
        assert rows_a[table] == rows_b[table], table
    report_a, report_b = run_summary(sqlite, a).as_dict(), run_summary(postgres, b).as_dict()
    for report in (report_a, report_b):
        report.pop("runtime_s")
        report.pop("run_id")
    assert report_a == report_b
    assert replay(postgres, b).equal
    sqlite.dispose()
    postgres.dispose()


WRITER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    sys.path.insert(0, sys.argv[2])
    from factories import SAMPLE_END, START, sample_run
    from sim.store import Store

    store = Store(sys.argv[1])
    log = sample_run().events
    barrier = Path(sys.argv[4])
    (barrier / f"ready-{os.getpid()}").touch()
    while not (barrier / "go").exists():  # all processes start writing together
        time.sleep(0.01)
    for _ in range(int(sys.argv[3])):
        run_id = store.begin_run(name="p", scenario={}, seed=1, version="t", sim_start=START)
        writer = store.writer(run_id, 900.0, chunk_size=3)
        for i in range(0, len(log), 2):
            writer.append(log[i : i + 2])
        n = writer.close(SAMPLE_END)
        store.finish_run(
            run_id, status="completed", error=None, sim_end=SAMPLE_END, runtime_s=0.0, events=n
        )
    store.dispose()
    """
)


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "sqlite-memory"])
def test_several_processes_write_runs_at_once(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Four processes each write five runs in small interleaved transactions: every
    run lands whole, with its own id, and replays equal."""
    backend_store = open_backend(request, backend, tmp_path)
    store = next(backend_store)
    here = str(Path(__file__).resolve().parent)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store.url, here, "5", str(barrier)], cwd=ROOT
        )
        for _ in range(4)
    ]
    deadline = time.monotonic() + 120
    while len(list(barrier.glob("ready-*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    (barrier / "go").touch()
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0, 0]
    infos = store.runs()
    assert len(infos) == 20 and len({i.id for i in infos}) == 20
    assert len({i.pid for i in infos}) == 4
    assert all(i.status == "completed" for i in infos)
    reference = _rows(store, infos[0].id)
    for info in infos:
        assert _rows(store, info.id) == reference
        assert replay(store, info.id).equal
    next(backend_store, None)  # dispose (and drop)


def test_postgresql_appends_by_copy_not_inserts(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row of the log and the projections reaches PostgreSQL through COPY:
    no INSERT into those tables goes through SQLAlchemy while a run is written."""
    from sqlalchemy import event

    from sim.store import postgres

    from .conftest import write_run
    from .factories import sample_run

    copied: dict[str, int] = {}
    real_copy = postgres.copy_rows

    def counting(conn: Any, statement: Any, run_id: int, rows: Any) -> None:
        table = statement.sql.split('"')[1]
        copied[table] = copied.get(table, 0) + len(rows)
        real_copy(conn, statement, run_id, rows)

    monkeypatch.setattr(postgres, "copy_rows", counting)
    store = Store(postgres_url)
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    run_id = write_run(store, sample_run().events)
    tables = ("events", "contacts", "agent_intervals", "interval_kpis")
    into = tuple(f"INSERT INTO {t} " for t in tables)
    assert [s for s in statements if s.startswith(into)] == []
    assert any(s.startswith("INSERT INTO runs ") for s in statements)  # the spy works
    rows = _rows(store, run_id)
    assert copied == {t: len(rows[t]) for t in tables}
    assert replay(store, run_id).equal
    store.dispose()


def test_a_postgresql_batch_that_fails_after_its_events_copy_leaves_none_of_them(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch is one transaction: when a later COPY of it fails (here the
    contacts projection's), its events are not in the store either, and the
    run's event count matches the log. (Before: the events' COPY ran in a
    psycopg transaction block that, the driver being idle, committed it alone.)"""
    import psycopg

    from sim.store import postgres

    from .factories import sample_run

    real_copy = postgres._copy

    def failing(driver: Any, statement: Any, run_id: int, rows: Any) -> None:
        if statement.sql.startswith('COPY "contacts"'):
            raise psycopg.errors.DiskFull("could not extend file")
        real_copy(driver, statement, run_id, rows)

    monkeypatch.setattr(postgres, "_copy", failing)
    store = Store(postgres_url)
    try:
        run_id = store.begin_run(name="p", scenario={}, seed=1, version="t", sim_start=0.0)
        writer = store.writer(run_id, 900.0, chunk_size=10**6)
        writer.append(sample_run().events)
        with pytest.raises(StoreError, match="could not extend file"):
            writer.flush()
        assert (store.count_events(run_id), store.run(run_id).events) == (0, 0)
    finally:
        store.dispose()

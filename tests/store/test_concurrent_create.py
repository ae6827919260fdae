"""Several processes creating one new store at the same instant all succeed.

Real processes, released together by a barrier, each open the store to
write (creating it) and record a run. SQLite and, when a server is there,
PostgreSQL (in a database made for the test and dropped after).
"""

from __future__ import annotations

import contextlib
import importlib.util
import multiprocessing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text

from sim.store import Store, StoreError

PROCESSES = 6
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _open_and_record(url: str, barrier: Any, results: Any) -> None:
    try:
        barrier.wait(timeout=60)
        store = Store(url)
        run_id = store.begin_run(name="race", scenario={}, seed=1, version="t", sim_start=0.0)
        store.dispose()
        results.put(("ok", run_id))
    except BaseException as error:  # every outcome is reported to the test
        results.put(("error", repr(error)))


def _race(url: str) -> list[tuple[str, Any]]:
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_open_and_record, args=(url, barrier, results))
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return outcomes


def _check(url: str, outcomes: list[tuple[str, Any]]) -> None:
    assert [kind for kind, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    assert sorted(run_id for _, run_id in outcomes) == list(range(1, PROCESSES + 1))
    store = Store(url, read_only=True)
    assert len(store.runs()) == PROCESSES
    store.dispose()


def test_processes_creating_one_sqlite_file_at_once_all_succeed(tmp_path: Path) -> None:
    url = str(tmp_path / "new" / "race.db")
    _check(url, _race(url))


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own (dropped after)."""
    if importlib.util.find_spec("psycopg") is None:
        pytest.skip("psycopg is not installed")
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"sim_hstore_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no server here: nothing to test against
        admin.dispose()
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({error})")
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn, contextlib.suppress(Exception):
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_processes_creating_one_postgresql_store_at_once_all_succeed(pg_database: str) -> None:
    _check(pg_database, _race(pg_database))


def test_postgresql_read_only_store_and_a_foreign_database(pg_database: str) -> None:
    other = create_engine(pg_database)
    with other.begin() as conn:
        conn.execute(text("CREATE TABLE runs (id serial PRIMARY KEY, lap real)"))
    for read_only in (True, False):
        with pytest.raises(StoreError, match="a PostgreSQL database, but not a sim store"):
            Store(pg_database, read_only=read_only)
    assert inspect(other).get_table_names() == ["runs"]  # nothing created
    with other.begin() as conn:
        conn.execute(text("DROP TABLE runs"))
    other.dispose()
    Store(pg_database).begin_run(name="r", scenario={}, seed=1, version="t", sim_start=0.0)
    reader = Store(pg_database, read_only=True)
    assert reader.run(1).status == "running"
    with pytest.raises(StoreError, match="read-only transaction"), reader.engine.begin() as conn:
        conn.execute(text("DELETE FROM runs"))
    reader.dispose()

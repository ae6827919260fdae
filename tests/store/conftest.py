"""Backends for the store contract suite, and a stored sample run.

Every test taking the ``store`` fixture is part of the contract suite: it
runs against a SQLite file, an in-memory SQLite database and a PostgreSQL
database (a fresh one per test; skipped with a one-line reason when no
server is reachable, failed when SIM_REQUIRE_POSTGRES is set).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.store import Store

from .factories import SAMPLE_END, START, sample_run

BACKENDS = ["sqlite-file", "sqlite-memory", "postgresql"]


def open_backend(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> Iterator[Store]:
    """A store of ``kind`` (one of BACKENDS), disposed (and dropped) afterwards."""
    if kind == "postgresql":
        with request.getfixturevalue("postgres_database")() as url:
            s = Store(url)
            yield s
            s.dispose()
        return
    s = Store(str(tmp_path / "results.db") if kind == "sqlite-file" else "sqlite://")
    yield s
    s.dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    yield from open_backend(request, request.param, tmp_path)


def write_run(
    store: Store,
    events: list,
    sim_end: float = SAMPLE_END,
    chunk_size: int = 7,
    interval_s: float = 900.0,
) -> int:
    """Store ``events`` as one completed run through EventWriter; return the run id."""
    run_id = store.begin_run(
        name="sample", scenario={"agents": 1}, seed=7, version="test", sim_start=START
    )
    writer = store.writer(run_id, interval_s, chunk_size=chunk_size)
    for i in range(0, len(events), 3):
        writer.append(events[i : i + 3])
    count = writer.close(sim_end)
    store.finish_run(
        run_id, status="completed", error=None, sim_end=sim_end, runtime_s=1.5, events=count
    )
    return run_id


@pytest.fixture
def sample_run_id(store: Store) -> int:
    return write_run(store, sample_run().events)

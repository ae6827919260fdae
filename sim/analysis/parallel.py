"""Parallel runs in worker processes, all landing in one database.

Into a SQLite file, workers write their runs directly (WAL, short chunk
transactions and a 60 s busy_timeout: waits, never lock errors). Into a store
other processes cannot open (in memory), each worker simulates into its own
temporary SQLite file and the parent merges every finished run into the main
store (``ATTACH`` + ``INSERT ... SELECT`` with the run id remapped, one
transaction per run), in task order. docs/analysis-tools.md gives the
measurements behind the choice.
Workers get scenarios as resolved dicts (plain JSON data, picklable) and
rebuild them with ``parse_scenario``.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from sim.runner import RunFailed, run_scenario
from sim.scenario import parse_scenario
from sim.store import Store
from sim.store.schema import agent_intervals, contacts, events, interval_kpis, runs

__all__ = ["ProgressFn", "Task", "execute", "merge_run", "worker_pool"]

ProgressFn = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each run finishes."""


@dataclass(frozen=True)
class Task:
    scenario: dict[str, Any]  # resolved: picklable and exact
    seed: int
    sweep: str
    point: dict[str, Any]
    replication: int


def _run_into(store: Store, task: Task) -> int:
    scenario = parse_scenario(task.scenario)
    try:
        outcome = run_scenario(
            scenario,
            store,
            seed=task.seed,
            sweep=task.sweep,
            point=task.point,
            replication=task.replication,
        )
    except RunFailed as failed:  # recorded as failed; the report leaves it out
        return failed.outcome.run_id
    return outcome.run_id


def _simulate_direct(task: Task, url: str) -> int:
    """Worker: simulate one run straight into the shared database file."""
    store = Store(url)
    try:
        return _run_into(store, task)
    finally:
        store.dispose()


def _simulate(task: Task, folder: str) -> tuple[str, int]:
    """Worker: simulate one run into a fresh SQLite file; (its path, its run id)."""
    path = str(Path(folder) / f"run-{os.getpid()}-{uuid.uuid4().hex}.db")
    store = Store(path)
    # A scratch file lives for one run and is merged on success: no fsync needed.
    event.listen(store.engine, "connect", _no_sync)
    store.engine.dispose()
    try:
        return path, _run_into(store, task)
    finally:
        store.dispose()


_PRELOAD = ["sim.runner", "sim.store", "sim.scenario", "sim.analysis.parallel"]


def _no_sync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def _context() -> Any:
    """forkserver where available (workers fork from a server that imported the
    simulator once), else spawn; never fork, which would copy open connections."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """A process pool of ``workers`` (None when ``workers <= 1``: run in this process)."""
    if workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        yield pool


def execute(
    tasks: Sequence[Task], store: Store, pool: Executor | None, progress: ProgressFn | None
) -> list[int]:
    """Run every task; the main store's run ids in task order."""
    ids = [0] * len(tasks)
    if pool is None:
        for i, task in enumerate(tasks):
            ids[i] = _run_into(store, task)
            if progress is not None:
                progress(i + 1, len(tasks))
        return ids
    if _shared_file(store):
        return _execute_direct(tasks, store, pool, progress)
    with tempfile.TemporaryDirectory(prefix="sim-sweep-", ignore_cleanup_errors=True) as folder:
        futures = {pool.submit(_simulate, task, folder): i for i, task in enumerate(tasks)}
        finished: dict[int, tuple[str, int]] = {}
        merged = 0
        for future in as_completed(futures):
            finished[futures[future]] = future.result()
            # Merged in task order, so run ids follow the grid and replication order.
            while merged in finished:
                path, worker_run = finished.pop(merged)
                ids[merged] = merge_run(store, path, worker_run)
                for suffix in ("", "-wal", "-shm"):
                    Path(path + suffix).unlink(missing_ok=True)
                merged += 1
                if progress is not None:
                    progress(merged, len(tasks))
    return ids


def _shared_file(store: Store) -> bool:
    """A SQLite file every worker can open (an in-memory store cannot be shared)."""
    database = store.engine.url.database
    return store.engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"


def _execute_direct(
    tasks: Sequence[Task], store: Store, pool: Executor, progress: ProgressFn | None
) -> list[int]:
    """Workers write their runs into the shared SQLite file themselves.

    WAL lets readers go on while one writer commits; each chunk is one short
    transaction and the store's busy_timeout (60 s) makes a worker wait for
    the lock instead of failing, so there are no lock errors. Run ids follow
    the order in which runs start, not the grid order.
    """
    futures = {pool.submit(_simulate_direct, task, store.url): i for i, task in enumerate(tasks)}
    ids = [0] * len(tasks)
    for done, future in enumerate(as_completed(futures), start=1):
        ids[futures[future]] = future.result()
        if progress is not None:
            progress(done, len(tasks))
    return ids


# --------------------------------------------------------------------------- merging

_COPIED = (events, contacts, agent_intervals, interval_kpis)


def _columns(table: Any) -> list[str]:
    """Columns copied as they are (not run_id, not an autoincrement key)."""
    return [
        c.name
        for c in table.columns
        if c.name != "run_id" and not (c.primary_key and c.autoincrement is True)
    ]


def merge_run(store: Store, path: str, run_id: int) -> int:
    """Copy run ``run_id`` of the SQLite file ``path`` into ``store``; its new id.

    The run record, its events (in log order) and its projections are copied
    in one transaction, so a reader never sees half a run.
    """
    if store.engine.dialect.name == "sqlite":
        return _merge_attached(store, path, run_id)
    source = Store(path)
    try:
        return _merge_copy(store, source, run_id)
    finally:
        source.dispose()


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _merge_attached(store: Store, path: str, run_id: int) -> int:
    with store.engine.connect() as conn:
        conn.exec_driver_sql("ATTACH DATABASE ? AS w", (path,))
        conn.commit()  # ATTACH must run outside a transaction
        try:
            with conn.begin():
                cols = _quoted(_columns(runs))
                result = conn.exec_driver_sql(
                    f"INSERT INTO main.runs ({cols}) SELECT {cols} FROM w.runs WHERE id = ?",
                    (run_id,),
                )
                new_id = int(result.lastrowid)
                for table in _COPIED:
                    cols = _quoted(_columns(table))
                    order = ' ORDER BY "position"' if table is events else ""
                    conn.exec_driver_sql(
                        f'INSERT INTO main."{table.name}" ("run_id", {cols}) '
                        f'SELECT ?, {cols} FROM w."{table.name}" WHERE run_id = ?{order}',
                        (new_id, run_id),
                    )
        finally:
            conn.exec_driver_sql("DETACH DATABASE w")
            conn.commit()
    return new_id


def _merge_copy(store: Store, source: Store, run_id: int) -> int:
    """Any backend: rows read from the worker file and inserted in pages."""
    with source.engine.connect() as src, store.engine.begin() as dst:
        record = src.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
        values = {k: v for k, v in record.items() if k != "id"}
        key = dst.execute(insert(runs).values(**values)).inserted_primary_key
        assert key is not None
        new_id = int(key[0])
        for table in _COPIED:
            names = _columns(table)
            query = select(*(table.c[n] for n in names)).where(table.c.run_id == run_id)
            if table is events:
                query = query.order_by(events.c.position)
            for page in src.execution_options(yield_per=10000).execute(query).partitions():
                rows = [{"run_id": new_id, **dict(zip(names, r, strict=True))} for r in page]
                dst.execute(insert(table), rows)
    return new_id

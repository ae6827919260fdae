"""Exactly one completed run per sweep task: (sweep, point, replication).

A distributed engine runs a task again when the worker running it dies (or
is taken for dead), so the same task may start twice, and a first attempt
may leave a half-written run behind. The store keeps the count right:

- ``uq_runs_completed_task``, a unique index over (sweep, point,
  replication) of the *completed* runs, makes a second completed run of a
  task impossible: ``Store.finish_run`` raises ``DuplicateRun`` instead;
- a run is only marked completed after its last events are committed, so a
  half-written run is never counted as done;
- ``claim`` is what an attempt does before it simulates: if the task already
  has a completed run, that run is the answer (nothing is simulated again);
  otherwise every unfinished run of the task (left by a dead attempt) is
  deleted, with its events and projections, in one transaction;
- ``settle_duplicate`` is what an attempt does when it lost a race to
  complete: its own run is deleted and the winner's id returned.

Runs outside sweeps (no sweep id or no replication) are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, delete, select

from sim.store.schema import agent_intervals, contacts, events, interval_kpis, runs
from sim.store.store import Store

__all__ = ["TaskKey", "claim", "completed_run", "delete_runs", "prune_sweep", "settle_duplicate"]


@dataclass(frozen=True)
class TaskKey:
    """One task of a sweep: the sweep id, the point's overrides, the replication."""

    sweep: str
    point: Mapping[str, Any]
    replication: int

    def where(self) -> ColumnElement[bool]:
        """The runs of this task (the point as ``Store.begin_run`` stores it)."""
        point = orjson.dumps(dict(self.point)).decode()
        return (
            (runs.c.sweep == self.sweep)
            & (runs.c.point == point)
            & (runs.c.replication == self.replication)
        )


def completed_run(conn: Connection, key: TaskKey) -> int | None:
    """The id of the task's completed run, if it has one."""
    found = conn.execute(
        select(runs.c.id).where(key.where(), runs.c.status == "completed")
    ).scalar()
    return None if found is None else int(found)


def delete_runs(conn: Connection, run_ids: Sequence[int]) -> None:
    """Delete runs with their events and projections (inside ``conn``'s transaction)."""
    if not run_ids:
        return
    for table in (events, contacts, agent_intervals, interval_kpis):
        conn.execute(delete(table).where(table.c.run_id.in_(run_ids)))
    conn.execute(delete(runs).where(runs.c.id.in_(run_ids)))


def claim(store: Store, key: TaskKey) -> int | None:
    """Before simulating a task: its completed run's id, or None once every
    unfinished run of it has been deleted (one transaction)."""
    with store.engine.begin() as conn:
        done = completed_run(conn, key)
        if done is None:
            stale = conn.execute(
                select(runs.c.id).where(key.where(), runs.c.status != "completed")
            ).scalars()
            delete_runs(conn, [int(i) for i in stale])
    return done


def settle_duplicate(store: Store, key: TaskKey, run_id: int) -> int:
    """``run_id`` of ``key`` could not complete (another run did): delete it and
    return the completed run's id."""
    with store.engine.begin() as conn:
        delete_runs(conn, [run_id])
        done = completed_run(conn, key)
    if done is None:  # cannot happen: DuplicateRun means a completed run exists
        raise LookupError(f"run {run_id}: no completed run of its task after DuplicateRun")
    return done


def prune_sweep(store: Store, sweep: str) -> list[int]:
    """Delete the unfinished runs of ``sweep`` whose task has a completed run
    (leftovers of attempts that died); the ids deleted."""
    done = (
        select(runs.c.point, runs.c.replication)
        .where(runs.c.sweep == sweep, runs.c.status == "completed")
        .subquery()
    )
    query = select(runs.c.id).where(
        runs.c.sweep == sweep,
        runs.c.status != "completed",
        select(done.c.point)
        .where(done.c.point == runs.c.point, done.c.replication == runs.c.replication)
        .exists(),
    )
    with store.engine.begin() as conn:
        stale = [int(i) for i in conn.execute(query).scalars()]
        delete_runs(conn, stale)
    return stale

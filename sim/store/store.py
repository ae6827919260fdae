"""The store: one database (SQLite file by default, any SQLAlchemy URL) of runs.

``Store`` opens a store to write (creating it in an empty database) or to
read only (``read_only=True``: nothing is ever written; see
``sim.store.opening``), records runs with their resolved scenario, seed,
version, owner and status, reads the event log back, and hands out
``EventWriter`` sinks. Every database error surfaces as ``StoreError``.
Nothing here knows SimPy or the core.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, func, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from sim.domain import Event
from sim.store.liveness import owner_gone, this_process
from sim.store.opening import StoreError, open_engine, resolve
from sim.store.schema import events, runs
from sim.store.writer import EventWriter

RUN_STATUSES = ("running", "completed", "failed", "interrupted")
FINAL_STATUSES = ("completed", "failed", "interrupted")
# The largest run id a query may carry (a signed 64-bit integer).
MAX_RUN_ID = 2**63 - 1


class DuplicateRun(StoreError):
    """A run cannot be completed: its sweep task already has a completed run
    (``sim.store.tasks``: exactly one completed run per sweep, point, replication)."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"run {run_id}: its sweep task already has a completed run")
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One row of ``runs``, with the JSON columns parsed.

    ``status`` is as read: a 'running' run whose owner process is gone reads
    as 'interrupted', with the reason in ``error`` (the row is not changed).
    """

    id: int
    name: str
    scenario: dict[str, Any]
    seed: int
    version: str
    status: str
    error: str | None
    started_at: str
    ended_at: str | None
    runtime_s: float | None
    sim_start: float
    sim_end: float | None
    events: int
    interval_s: float | None
    sweep: str | None
    point: dict[str, Any] | None
    replication: int | None
    host: str | None
    pid: int | None
    proc_start: str | None = None
    heartbeat_at: str | None = None

    @property
    def killed(self) -> bool:
        """Interrupted without closing its projections (its process died)."""
        return self.status == "interrupted" and self.sim_end is None


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _json(value: Any, what: str) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        raise StoreError(f"{what} is not JSON-serialisable: {exc}") from exc


class Store:
    """A database of runs: their records, event logs and projections.

    ``Store(url)`` opens a store to write, creating it in an empty database;
    ``Store(url, read_only=True)`` opens an existing store and never writes.
    Either raises StoreError for a database that is not a sim store.
    """

    def __init__(self, url: str | Path, *, read_only: bool = False) -> None:
        target = resolve(url)
        self.url, self.name, self.read_only = target.url, target.name, read_only
        self.engine: Engine
        self.engine, layout = open_engine(target, read_only=read_only)
        # A layout-1 store opened to read lacks the newest runs columns.
        self._run_cols = [c for c in runs.columns if c.name in layout.run_columns]

    def __repr__(self) -> str:
        return f"Store({self.name!r})"

    def dispose(self) -> None:
        """Close every pooled connection (the store object is unusable after)."""
        self.engine.dispose()

    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.name}: opened read-only")

    # -- runs -----------------------------------------------------------------

    def begin_run(
        self,
        *,
        name: str,
        scenario: Mapping[str, Any],
        seed: int,
        version: str,
        sim_start: float,
        sweep: str | None = None,
        point: Mapping[str, Any] | None = None,
        replication: int | None = None,
    ) -> int:
        """Record a new run with status 'running' and return its id.

        Runs left 'running' by dead processes of this host are marked
        'interrupted' first (``mark_interrupted``).
        """
        self._writable()
        mark_interrupted(self)
        host, pid, start = this_process()
        now = _now_iso()
        values = {
            "name": name,
            "scenario": _json(dict(scenario), "scenario"),
            "seed": seed,
            "version": version,
            "status": "running",
            "started_at": now,
            "sim_start": sim_start,
            "events": 0,
            "sweep": sweep,
            "point": None if point is None else _json(dict(point), "point"),
            "replication": replication,
            "host": host,
            "pid": pid,
            "proc_start": start,
            "heartbeat_at": now,
        }
        with self.engine.begin() as conn:
            result = conn.execute(runs.insert().values(**values))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])

    def finish_run(
        self,
        run_id: int,
        *,
        status: str,
        error: str | None,
        sim_end: float | None,
        runtime_s: float,
        events: int,
    ) -> None:
        """Close the run record: final status, its error or reason, counts, times.

        ``status`` is 'completed', 'failed' or 'interrupted'; ``sim_end`` None
        says the projections were not closed (see ``RunInfo.killed``). Raises
        ``DuplicateRun`` (and leaves the run as it was) when the run belongs to a
        sweep task that another run has already completed.
        """
        if status not in FINAL_STATUSES:
            raise StoreError(
                f"finish_run status must be one of {', '.join(FINAL_STATUSES)}, got {status!r}"
            )
        self._writable()
        self.run(run_id)  # a clear error for a missing run
        values = {
            "status": status,
            "error": error,
            "sim_end": sim_end,
            "runtime_s": runtime_s,
            "events": events,
            "ended_at": _now_iso(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(update(runs).where(runs.c.id == run_id).values(**values))
        except IntegrityError as error:  # uq_runs_completed_task
            raise DuplicateRun(run_id) from error

    def set_interval(self, run_id: int, interval_s: float) -> None:
        """Record the reporting interval the run's ``interval_kpis`` use (for replay)."""
        self._writable()
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(interval_s=interval_s))

    def count_events(self, run_id: int) -> int:
        """Events of the run in the log (what was committed)."""
        query = select(func.count()).select_from(events).where(events.c.run_id == run_id)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first (status as read: see ``RunInfo``)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(*self._run_cols).order_by(runs.c.id)).mappings().all()
        now = datetime.now(UTC)
        return [_run_info(r, now, self.name) for r in rows]

    def run(self, run_id: int | None = None) -> RunInfo:
        """One run by id, or the latest when ``run_id`` is None; StoreError if absent."""
        if run_id is not None and not -MAX_RUN_ID <= run_id <= MAX_RUN_ID:
            raise StoreError(self._missing(run_id))
        query = select(*self._run_cols)
        query = (
            query.order_by(runs.c.id.desc()).limit(1)
            if run_id is None
            else query.where(runs.c.id == run_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise StoreError(self._missing(run_id))
        return _run_info(row, datetime.now(UTC), self.name)

    def _missing(self, run_id: int | None) -> str:
        with self.engine.connect() as conn:
            lo, hi, n = conn.execute(
                select(func.min(runs.c.id), func.max(runs.c.id), func.count())
            ).one()
        if not n:
            return f"no runs in {self.name}"
        span = f"{lo}-{hi}" if hi - lo + 1 == n else f"{n} runs, ids {lo}-{hi}"
        return f"no run {run_id} in {self.name} (runs: {span})"

    # -- events ---------------------------------------------------------------

    def iter_event_batches(self, run_id: int, batch: int = 50000) -> Iterator[list[Event]]:
        """The run's events in log order, ``batch`` at a time, payloads parsed.

        Each batch is one keyset-paged query fully fetched, so no cursor stays
        open between batches and memory holds one batch.
        """
        self.run(run_id)
        cols = (
            events.c.position,
            events.c.stream_id,
            events.c.version,
            events.c.type,
            events.c.time,
            events.c.payload,
        )
        last = -1
        loads = orjson.loads
        while True:
            query = (
                select(*cols)
                .where(events.c.run_id == run_id, events.c.position > last)
                .order_by(events.c.position)
                .limit(batch)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            if not rows:
                return
            last = rows[-1][0]
            try:
                batch_events = [Event(r[1], r[2], r[3], r[4], loads(r[5])) for r in rows]
            except orjson.JSONDecodeError:
                raise _damaged_event(self.name, run_id, rows) from None
            if not all(type(r[4]) is float for r in rows):
                raise _damaged_event(self.name, run_id, rows)
            yield batch_events
            if len(rows) < batch:
                return

    def iter_events(self, run_id: int, batch: int = 50000) -> Iterator[Event]:
        """The run's events in log order (position), payloads parsed."""
        for chunk in self.iter_event_batches(run_id, batch):
            yield from chunk

    def writer(self, run_id: int, interval_s: float, chunk_size: int = 20000) -> EventWriter:
        """An ``EventSink`` writing the run's log and projections (see ``EventWriter``)."""
        self._writable()
        return EventWriter(self, run_id, interval_s, chunk_size=chunk_size)


def _damaged(name: str, what: str) -> StoreError:
    return StoreError(f"{name}: a damaged sim store: {what}")


def _damaged_event(name: str, run_id: int, rows: Any) -> StoreError:
    """The first row of ``rows`` whose time or payload cannot be read."""
    for position, _, _, _, time, payload in rows:
        if type(time) is not float:
            what = f"a time that is not a number ({time!r})"
            return _damaged(name, f"run {run_id}: event at position {position} has {what}")
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError as error:
            what = f"a payload that is not JSON ({error})"
            return _damaged(name, f"run {run_id}: event at position {position} has {what}")
    return _damaged(name, f"run {run_id}: an event cannot be read")


def _json_column(values: dict[str, Any], column: str, name: str) -> Any:
    try:
        return orjson.loads(values[column])
    except orjson.JSONDecodeError as error:
        what = f"run {values['id']}: its recorded {column} is not JSON ({error})"
        raise _damaged(name, what) from None


def _run_info(row: RowMapping, now: datetime, name: str) -> RunInfo:
    values = dict(row)
    values["scenario"] = _json_column(values, "scenario", name)
    if values["point"] is not None:
        values["point"] = _json_column(values, "point", name)
    if values["status"] == "running":
        gone = _gone(values, now)
        if gone is not None:
            values["status"], values["error"] = "interrupted", gone
    return RunInfo(**values)


def _gone(values: Mapping[str, Any] | RowMapping, now: datetime) -> str | None:
    """Why a 'running' run's owner is dead (a full sentence), or None."""
    last = values.get("heartbeat_at") or values["started_at"]
    why = owner_gone(values["host"], values["pid"], values.get("proc_start"), last, now)
    if why is None:
        return None
    return f"the run stopped without finishing: {why}; its events up to then are kept"


def mark_interrupted(store: Store, *, all_hosts: bool = False) -> list[int]:
    """Record runs left 'running' by dead processes as 'interrupted'; their ids.

    A run is dead when its owner process (host, pid, process start) no
    longer runs on this host, or, from another host, when it has shown no
    sign of life for ``sim.store.liveness.STALE_AFTER_S``. With
    ``all_hosts=True`` every other host's 'running' run is marked too. The
    reason goes to ``error``; ``events`` is set to the events the log holds;
    ``sim_end`` stays null (the projections were not closed).
    """
    store._writable()
    host, pid, _ = this_process()
    now = datetime.now(UTC)
    cols = [c for c in store._run_cols if c.name != "scenario"]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(runs.c.status == "running")).mappings().all()
    dead: dict[int, tuple[str, str | None]] = {}
    for row in rows:
        if row["host"] == host and row["pid"] == pid:
            continue
        why = _gone(row, now)
        if why is None and all_hosts and row["host"] != host:
            why = f"marked interrupted by a sweep of every host's runs (owner {row['host']})"
        if why is not None:
            dead[row["id"]] = (why, row.get("heartbeat_at"))
    for run_id, (why, last) in dead.items():
        abandon_run(store, run_id, why, ended_at=last)
    return sorted(dead)


def abandon_run(store: Store, run_id: int, reason: str, *, ended_at: str | None = None) -> int:
    """Record a 'running' run as 'interrupted' without closing its projections.

    For a run whose process died, or that had to stop before its writer
    could finish: the log keeps what was committed, ``events`` is set to
    that count, ``sim_end`` stays null. Returns the events kept.
    """
    store._writable()
    kept = store.count_events(run_id)
    values = {
        "status": "interrupted",
        "error": reason,
        "events": kept,
        "ended_at": ended_at or _now_iso(),
    }
    with store.engine.begin() as conn:
        conn.execute(
            update(runs).where(runs.c.id == run_id, runs.c.status == "running").values(**values)
        )
    return kept

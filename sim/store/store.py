"""The store: one database (SQLite file by default, any SQLAlchemy URL) of runs.

``Store`` opens (and creates) the tables, records runs with their resolved
scenario, seed, version and status, reads the event log back, and hands out
``EventWriter`` sinks. Nothing here knows SimPy or the core.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy.engine import RowMapping, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from sim.domain import Event
from sim.store.schema import events, metadata, runs

if TYPE_CHECKING:
    from sim.store.writer import EventWriter

RUN_STATUSES = ("running", "completed", "failed")


class StoreError(Exception):
    """A store request that cannot be met; the message says why and what exists."""


class DuplicateRun(StoreError):
    """A run cannot be completed: its sweep task already has a completed run
    (``sim.store.tasks``: exactly one completed run per sweep, point, replication)."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"run {run_id}: its sweep task already has a completed run")
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class RunInfo:
    """One row of ``runs``, with the JSON columns parsed."""

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


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _json(value: Any, what: str) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        raise StoreError(f"{what} is not JSON-serialisable: {exc}") from exc


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL + busy_timeout let several worker processes share one file;
    # NORMAL sync is durable across application crashes, which is what runs need.
    cur = dbapi_conn.cursor()
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=NORMAL",
        "PRAGMA busy_timeout=60000",
        "PRAGMA foreign_keys=ON",
    ):
        cur.execute(pragma)
    cur.close()


def _resolve(url: str | Path) -> tuple[str, str]:
    """(SQLAlchemy URL, name for messages); a bare path means a SQLite file."""
    text = str(url)
    if isinstance(url, Path) or "://" not in text:
        if text in ("", ":memory:"):
            return "sqlite://", ":memory:"
        return f"sqlite:///{Path(text).expanduser()}", text
    parsed = make_url(text)
    if parsed.get_backend_name() == "postgresql" or parsed.drivername == "postgres":
        from sim.store.postgres import normalise_url

        parsed = normalise_url(parsed)
        text = parsed.render_as_string(hide_password=False)
    if parsed.drivername.startswith("sqlite"):
        return text, parsed.database or ":memory:"
    return text, parsed.render_as_string(hide_password=True)


class Store:
    """A database of runs: their records, event logs and projections."""

    def __init__(self, url: str | Path) -> None:
        try:
            self._open(url)
        except (SQLAlchemyError, OSError) as error:
            # A file that is not SQLite, a bad URL, an unwritable folder: input
            # errors a user can fix, reported without a traceback.
            raise StoreError(f"{url}: cannot open as a sim store ({error})") from error

    def _open(self, url: str | Path) -> None:
        self.url, self.name = _resolve(url)
        parsed = make_url(self.url)
        kwargs: dict[str, Any] = {}
        if parsed.drivername.startswith("sqlite"):
            if not parsed.database or parsed.database == ":memory:":
                # One shared connection, or every checkout would see an empty database.
                kwargs = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            else:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if self.engine.dialect.name == "postgresql":
            from sim.store.postgres import create_schema

            create_schema(self.engine)
        else:
            metadata.create_all(self.engine)

    def __repr__(self) -> str:
        return f"Store({self.name!r})"

    def dispose(self) -> None:
        """Close every pooled connection (the store object is unusable after)."""
        self.engine.dispose()

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

        Runs left 'running' by dead processes of this host are marked failed
        first, so no killed run keeps claiming to be in progress.
        """
        mark_interrupted(self)
        values = {
            "name": name,
            "scenario": _json(dict(scenario), "scenario"),
            "seed": seed,
            "version": version,
            "status": "running",
            "started_at": _now_iso(),
            "sim_start": sim_start,
            "events": 0,
            "sweep": sweep,
            "point": None if point is None else _json(dict(point), "point"),
            "replication": replication,
            "host": socket.gethostname(),
            "pid": os.getpid(),
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
        sim_end: float,
        runtime_s: float,
        events: int,
    ) -> None:
        """Close the run record: final status ('completed' or 'failed'), counts, times.

        Raises ``DuplicateRun`` (and leaves the run as it was) when the run belongs
        to a sweep task that another run has already completed.
        """
        if status not in ("completed", "failed"):
            raise StoreError(f"finish_run status must be 'completed' or 'failed', got {status!r}")
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
        with self.engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(interval_s=interval_s))

    def runs(self) -> list[RunInfo]:
        """Every run, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.id)).mappings().all()
        return [_run_info(r) for r in rows]

    def run(self, run_id: int | None = None) -> RunInfo:
        """One run by id, or the latest when ``run_id`` is None; StoreError if absent."""
        query = select(runs)
        query = (
            query.order_by(runs.c.id.desc()).limit(1)
            if run_id is None
            else query.where(runs.c.id == run_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            raise StoreError(self._missing(run_id))
        return _run_info(row)

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
            yield [Event(r[1], r[2], r[3], r[4], loads(r[5])) for r in rows]
            if len(rows) < batch:
                return

    def iter_events(self, run_id: int, batch: int = 50000) -> Iterator[Event]:
        """The run's events in log order (position), payloads parsed."""
        for chunk in self.iter_event_batches(run_id, batch):
            yield from chunk

    def writer(self, run_id: int, interval_s: float, chunk_size: int = 20000) -> EventWriter:
        """An ``EventSink`` writing the run's log and projections (see ``EventWriter``)."""
        from sim.store.writer import EventWriter

        return EventWriter(self, run_id, interval_s, chunk_size=chunk_size)


def _run_info(row: RowMapping) -> RunInfo:
    values = dict(row)
    values["scenario"] = orjson.loads(values["scenario"])
    if values["point"] is not None:
        values["point"] = orjson.loads(values["point"])
    return RunInfo(**values)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def mark_interrupted(store: Store, *, all_hosts: bool = False) -> list[int]:
    """Mark runs left 'running' by killed processes as failed ("interrupted").

    A run is taken as interrupted when its owner process (host, pid) no
    longer exists on this host. Runs owned by other hosts (a shared
    PostgreSQL store) are only touched with ``all_hosts=True``, which marks
    every 'running' run not owned by this process. Returns the ids marked.
    """
    here, me = socket.gethostname(), os.getpid()
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.id, runs.c.host, runs.c.pid).where(runs.c.status == "running")
        ).all()
    dead = [
        run_id
        for run_id, host, pid in rows
        if not (host == here and pid == me)
        and (all_hosts or (host == here and (pid is None or not _alive(pid))))
    ]
    if dead:
        with store.engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id.in_(dead), runs.c.status == "running")
                .values(status="failed", error="interrupted", ended_at=_now_iso())
            )
    return dead

"""Writing a run: events -> rows (``RowMaker``) -> one transaction (``RowWriter``).

The two halves are separate so they can run in different processes (the
background writer makes rows in the simulation process and inserts them in
a writer process); ``EventWriter`` runs both in one process.

Events are buffered and written ``chunk_size`` at a time, each chunk in one
transaction together with the projection rows it made final, so the log and
its projections never disagree on disk. Rows go through the raw DBAPI
``executemany`` with positional tuples: building a dict per row through
SQLAlchemy Core costs more than the insert itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import orjson
from sqlalchemy import Connection, Engine, update
from sqlalchemy.exc import DBAPIError

from sim.domain import TERMINAL_TYPES, Event, EventType
from sim.store.opening import StoreError
from sim.store.projector import ProjectionRows, Projector, Row
from sim.store.schema import agent_intervals, contacts, events, insert_sql, interval_kpis, runs
from sim.store.streams import StreamNumbers


class RunTables(Protocol):
    """What the writer uses of a ``Store`` (sim.store.store): its engine, the run's
    existence and its interval. The store hands itself (``Store.writer``)."""

    @property
    def engine(self) -> Engine: ...

    def run(self, run_id: int) -> object: ...

    def set_interval(self, run_id: int, interval_s: float) -> None: ...


# Event types as plain ``str`` (an ``EventType`` member hashes and compares as
# its value), so log columns hold only builtins: cheap to ship to a writer process.
_PLAIN_TYPES: dict[str, str] = {t.value: t.value for t in EventType}

# One chunk of the log, column-wise: stream ids, versions, types, times and
# payload JSON texts. Stream numbers are added by the ``RowWriter``.
LogColumns = tuple[Sequence[Any], Sequence[Any], Sequence[Any], Sequence[Any], Sequence[Any]]


@dataclass(slots=True)
class RowBatch:
    """What ``events`` consecutive events write: their log columns and the
    projection rows they made final (without ``run_id``: the writer's SQL holds it)."""

    events: int = 0
    log: list[LogColumns] = field(default_factory=list)
    projections: ProjectionRows = field(default_factory=ProjectionRows)

    def extend(self, other: RowBatch) -> None:
        self.events += other.events
        self.log.extend(other.log)
        mine, theirs = self.projections, other.projections
        mine.contacts.extend(theirs.contacts)
        mine.agent_intervals.extend(theirs.agent_intervals)
        mine.interval_kpis.extend(theirs.interval_kpis)


class RowMaker:
    """Events -> log columns and projection rows, pure (no database): serialises
    payloads and folds the projections. Memory follows what is in flight."""

    def __init__(self, interval_s: float) -> None:
        self._projector = Projector(interval_s)

    def feed(self, chunk: list[Event]) -> RowBatch:
        """The rows of ``chunk`` (events in log order)."""
        log = [_log_columns(chunk)] if chunk else []
        return RowBatch(len(chunk), log, self._projector.feed(chunk))

    def close(self, chunk: list[Event], sim_end: float) -> RowBatch:
        """The rows of the last ``chunk`` and every projection row still open."""
        batch = self.feed(chunk)
        batch.extend(RowBatch(0, [], self._projector.close(sim_end)))
        return batch


def _log_columns(chunk: list[Event]) -> LogColumns:
    """``chunk`` column-wise, with plain types and payload JSON: C-level maps only."""
    ids, versions, types, times, payloads = zip(*chunk, strict=True)
    plain_types = list(map(_PLAIN_TYPES.get, types, types))
    payload_json = list(map(bytes.decode, map(orjson.dumps, payloads)))
    return ids, versions, plain_types, times, payload_json


class RowWriter:
    """Inserts ``RowBatch``es of one run, each in one transaction.

    On SQLite (and any other DBAPI) rows go through ``executemany``; on
    PostgreSQL through binary COPY (``sim.store.postgres``).
    The transaction also adds the batch's events to ``runs.events`` and sets
    ``runs.heartbeat_at``: a reader sees how far a run has got, and when its
    writer last showed a sign of life (``sim.store.liveness``).
    """

    def __init__(self, engine: Engine, run_id: int) -> None:
        self._engine = engine
        self._run_id = run_id
        dialect = engine.dialect
        self._named = dialect.paramstyle == "named"
        self._sql = {t.name: insert_sql(t, dialect, run_id) for t in (events, *_PROJECTIONS)}
        self._copy: dict[str, Any] = {}
        self._copy_rows: Any = None
        self._errors: tuple[type[Exception], ...] = (DBAPIError,)
        if dialect.name == "postgresql":
            from sim.store import postgres

            if postgres.uses_copy(engine):
                tables = (events, *_PROJECTIONS)
                self._copy = {t.name: postgres.CopyStatement(t) for t in tables}
                self._copy_rows = postgres.copy_rows
                self._errors += postgres.DRIVER_ERRORS
        self._streams = StreamNumbers(TERMINAL_TYPES)

    def write(self, batch: RowBatch) -> None:
        """Insert the batch in one transaction; raise StoreError if it fails."""
        try:
            with self._engine.begin() as conn:
                self.write_in(conn, batch)
        except StoreError:
            raise
        except self._errors as exc:
            raise StoreError(_failure(self._run_id, batch.events, exc)) from exc

    def write_in(self, conn: Connection, batch: RowBatch, progress: bool = True) -> None:
        """Insert the batch inside ``conn``'s open transaction (the caller commits).

        ``progress``: also count its events into ``runs.events`` and beat the
        run's heartbeat (a run being written; not a copy of a finished one).
        """
        p = batch.projections
        tables = (p.contacts, p.agent_intervals, p.interval_kpis)
        log: list[Row] = []
        for ids, versions, types, times, payload_json in batch.log:
            numbers = self._streams.numbers(ids, types)
            log.extend(zip(numbers, ids, versions, types, times, payload_json, strict=True))
        self._insert(conn, events.name, log)
        for table, rows in zip(_PROJECTIONS, tables, strict=True):
            self._insert(conn, table.name, rows)
        if not progress:
            return
        conn.execute(
            update(runs)
            .where(runs.c.id == self._run_id)
            .values(
                events=runs.c.events + batch.events,
                heartbeat_at=datetime.now(UTC).isoformat(timespec="milliseconds"),
            )
        )

    def _insert(self, conn: Connection, table: str, rows: list[Row]) -> None:
        if not rows:
            return
        if self._copy_rows is not None:
            self._copy_rows(conn, self._copy[table], self._run_id, rows)
            return
        params: list[Any] = rows
        if self._named:
            params = [{f"p{i}": v for i, v in enumerate(r)} for r in rows]
        conn.exec_driver_sql(self._sql[table], params)


def _failure(run_id: int, n_events: int, exc: Exception) -> str:
    """The message of a failed batch, naming a constraint violation alike on every backend."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    kind, text = type(orig).__name__, str(orig)
    what = ""
    if kind == "UniqueViolation" or "UNIQUE constraint" in text:
        what = "duplicate event: (run, stream, version) already stored: "
    elif kind == "ForeignKeyViolation" or "FOREIGN KEY constraint" in text:
        what = "the run is no longer in the store: "
    return f"run {run_id}: writing {n_events} events failed: {what}{text}"


class EventWriter:
    """An ``EventSink`` appending one run's events to the store, in this process.

    Memory holds at most one chunk of events plus the projector's in-flight
    state; ``close(sim_end)`` writes the rest. After a failed write the writer
    refuses further events (the projector has moved past what is on disk).
    """

    def __init__(
        self, store: RunTables, run_id: int, interval_s: float, chunk_size: int = 20000
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        store.run(run_id)
        store.set_interval(run_id, interval_s)
        self._run_id = run_id
        self._chunk_size = chunk_size
        self._maker = RowMaker(interval_s)
        self._writer = RowWriter(store.engine, run_id)
        self._buffer: list[Event] = []
        self._written = 0
        self._state = "open"  # open | closed | broken

    @property
    def run_id(self) -> int:
        return self._run_id

    @property
    def events_written(self) -> int:
        """Events committed to the store so far."""
        return self._written

    def append(self, events: Sequence[Event]) -> None:
        """Buffer ``events``; write a chunk whenever ``chunk_size`` are waiting."""
        self._check_open()
        self._buffer.extend(events)
        if len(self._buffer) >= self._chunk_size:
            self.flush()

    def flush(self) -> None:
        """Write the buffered events (and rows they made final) in one transaction."""
        self._check_open()
        if self._buffer:
            chunk, self._buffer = self._buffer, []
            self._write(self._maker.feed(chunk))

    def close(self, sim_end: float) -> int:
        """Write everything left, end the projections at ``sim_end``; return events written."""
        self._check_open()
        chunk, self._buffer = self._buffer, []
        self._write(self._maker.close(chunk, sim_end))
        self._state = "closed"
        return self._written

    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError(f"run {self._run_id}: event writer is {self._state}")

    def _write(self, batch: RowBatch) -> None:
        try:
            self._writer.write(batch)
        except StoreError:
            self._state = "broken"
            raise
        self._written += batch.events


_PROJECTIONS = (contacts, agent_intervals, interval_kpis)

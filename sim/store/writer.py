"""``EventWriter``: the event sink that writes a run's log and projections.

Events are buffered and written ``chunk_size`` at a time, each chunk in one
transaction together with the projection rows it made final, so the log and
its projections never disagree on disk. Rows go through the raw DBAPI
``executemany`` with positional tuples: building a dict per row through
SQLAlchemy Core costs more than the insert itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

from sim.domain import TERMINAL_TYPES, Event
from sim.store.projector import ProjectionRows, Projector, Row
from sim.store.schema import agent_intervals, contacts, events, insert_sql, interval_kpis
from sim.store.store import StoreError

if TYPE_CHECKING:
    from sim.store.store import Store


class EventWriter:
    """An ``EventSink`` appending one run's events to the store.

    Memory holds at most one chunk of events plus the projector's in-flight
    state; ``close(sim_end)`` writes the rest. After a failed write the writer
    refuses further events (the projector has moved past what is on disk).
    """

    def __init__(
        self, store: Store, run_id: int, interval_s: float, chunk_size: int = 20000
    ) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        store.run(run_id)
        store.set_interval(run_id, interval_s)
        self._engine = store.engine
        self._run_id = run_id
        self._chunk_size = chunk_size
        self._projector = Projector(interval_s)
        self._buffer: list[Event] = []
        self._written = 0
        # stream_id -> stream_no for streams still open; closed ones are dropped
        # (a terminal event ends them), so memory follows what is in flight.
        self._streams: dict[str, int] = {}
        self._next_stream = 1
        self._state = "open"  # open | closed | broken
        dialect = self._engine.dialect
        self._named = dialect.paramstyle == "named"
        self._sql = {t.name: insert_sql(t, dialect) for t in (events, *_PROJECTIONS)}

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
            self._write(chunk, self._projector.feed(chunk))

    def close(self, sim_end: float) -> int:
        """Write everything left, end the projections at ``sim_end``; return events written."""
        self._check_open()
        chunk, self._buffer = self._buffer, []
        rows = self._projector.feed(chunk)
        final = self._projector.close(sim_end)
        rows.contacts.extend(final.contacts)
        rows.agent_intervals.extend(final.agent_intervals)
        rows.interval_kpis = final.interval_kpis
        self._write(chunk, rows)
        self._state = "closed"
        return self._written

    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError(f"run {self._run_id}: event writer is {self._state}")

    def _write(self, chunk: list[Event], rows: ProjectionRows) -> None:
        run_id = self._run_id
        log = self._log_rows(chunk)
        try:
            with self._engine.begin() as conn:
                self._insert(conn, events.name, log)
                for table, table_rows in zip(_PROJECTIONS, _tables(rows), strict=True):
                    self._insert(conn, table.name, [(run_id, *r) for r in table_rows])
        except DBAPIError as exc:
            self._state = "broken"
            raise StoreError(
                f"run {run_id}: writing {len(chunk)} events failed: {exc.orig}"
            ) from exc
        self._written += len(chunk)

    def _log_rows(self, chunk: list[Event]) -> list[Row]:
        """The events table's rows for ``chunk``, numbering new streams as they appear."""
        run_id = self._run_id
        dumps = orjson.dumps
        streams = self._streams
        terminal = TERMINAL_TYPES
        rows: list[Row] = []
        append = rows.append
        for stream_id, version, type_, time, payload in chunk:
            number = streams.get(stream_id)
            if number is None:
                number = streams[stream_id] = self._next_stream
                self._next_stream += 1
            if type_ in terminal:
                del streams[stream_id]
            # Event type may be an EventType (a str subclass): the driver binds it as text.
            append((run_id, number, stream_id, version, type_, time, dumps(payload).decode()))
        return rows

    def _insert(self, conn: Connection, table: str, rows: list[Row]) -> None:
        if not rows:
            return
        params: list[Any] = rows
        if self._named:
            params = [{f"p{i}": v for i, v in enumerate(r)} for r in rows]
        conn.exec_driver_sql(self._sql[table], params)


_PROJECTIONS = (contacts, agent_intervals, interval_kpis)


def _tables(rows: ProjectionRows) -> tuple[list[Row], list[Row], list[Row]]:
    return rows.contacts, rows.agent_intervals, rows.interval_kpis

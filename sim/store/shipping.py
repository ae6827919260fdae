"""Runs as compact row batches: made where the run is simulated, written elsewhere.

A worker that cannot reach the target store (a SQLite file on the client's
machine) simulates into a ``ShippingStore``: an in-memory store that keeps
the run record, whose writer keeps the run's rows (``RowMaker`` batches:
log columns and projection rows) as compressed bytes instead of writing
them. ``ShippingStore.take`` hands back a ``ShippedRun`` (plain bytes and
builtins: cheap to pickle across machines), and ``receive_run`` writes it
into the target store in one transaction, so a reader never sees half of it.

The same two halves copy a run between any two stores (``copy_run``):
``export_run`` reads a stored run into a ``ShippedRun``.

Limits: a shipped run is held whole in memory, compressed (about 25 bytes
per event), by the worker until the client takes it and by the client
until it is written.
"""

from __future__ import annotations

import marshal
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Table, insert, select

from sim.domain import Event
from sim.store.opening import StoreError
from sim.store.projector import ProjectionRows
from sim.store.schema import agent_intervals, contacts, events, insert_columns, interval_kpis, runs
from sim.store.store import Store
from sim.store.tasks import TaskKey, completed_run, delete_runs
from sim.store.writer import RowBatch, RowMaker, RowWriter

__all__ = ["ShippedRun", "ShippingStore", "copy_run", "export_run", "receive_run"]

_LEVEL = 1  # zlib: payload JSON compresses ~8x even at the fastest level


def encode_batch(batch: RowBatch) -> bytes:
    """A batch as compressed ``marshal`` bytes (builtins only; format 4 is stable)."""
    p = batch.projections
    rows = (batch.events, batch.log, p.contacts, p.agent_intervals, p.interval_kpis)
    return zlib.compress(marshal.dumps(rows, 4), _LEVEL)


def decode_batch(data: bytes) -> RowBatch:
    n, log, contact_rows, interval_rows, kpi_rows = marshal.loads(zlib.decompress(data))
    return RowBatch(n, log, ProjectionRows(contact_rows, interval_rows, kpi_rows))


@dataclass(frozen=True)
class ShippedRun:
    """A run's record (the ``runs`` columns but ``id``) and its rows, compressed."""

    record: dict[str, Any]
    batches: tuple[bytes, ...]

    @property
    def size(self) -> int:
        """Bytes of row data."""
        return sum(len(b) for b in self.batches)

    def task(self) -> TaskKey | None:
        """The sweep task the run belongs to, if any."""
        r = self.record
        if r["sweep"] is None or r["replication"] is None or r["point"] is None:
            return None
        return TaskKey(r["sweep"], orjson.loads(r["point"]), r["replication"])


class ShippingWriter:
    """An ``EventSink`` like ``EventWriter`` that keeps the rows, compressed,
    instead of writing them."""

    def __init__(self, store: Store, run_id: int, interval_s: float, chunk_size: int) -> None:
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
        store.set_interval(run_id, interval_s)
        self.run_id = run_id
        self._chunk_size = chunk_size
        self._maker = RowMaker(interval_s)
        self._buffer: list[Event] = []
        self.batches: list[bytes] = []
        self.events_written = 0
        self._closed = False

    def append(self, events: Sequence[Event]) -> None:
        self._check_open()
        self._buffer.extend(events)
        if len(self._buffer) >= self._chunk_size:
            self.flush()

    def flush(self) -> None:
        self._check_open()
        if self._buffer:
            chunk, self._buffer = self._buffer, []
            self._keep(self._maker.feed(chunk))

    def close(self, sim_end: float) -> int:
        self._check_open()
        chunk, self._buffer = self._buffer, []
        self._keep(self._maker.close(chunk, sim_end))
        self._closed = True
        return self.events_written

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"run {self.run_id}: event writer is closed")

    def _keep(self, batch: RowBatch) -> None:
        self.batches.append(encode_batch(batch))
        self.events_written += batch.events


class ShippingStore(Store):
    """An in-memory store whose runs' rows are kept for shipping, not written."""

    def __init__(self) -> None:
        super().__init__("sqlite://")
        self._writers: dict[int, ShippingWriter] = {}

    def writer(self, run_id: int, interval_s: float, chunk_size: int = 20000) -> Any:
        self.run(run_id)
        writer = ShippingWriter(self, run_id, interval_s, chunk_size)
        self._writers[run_id] = writer
        return writer

    def take(self, run_id: int) -> ShippedRun:
        """The run's record and rows (forgotten here)."""
        record = {k: v for k, v in _record(self, run_id).items() if k != "id"}
        writer = self._writers.pop(run_id, None)
        return ShippedRun(record, tuple(writer.batches) if writer else ())


def _record(store: Store, run_id: int) -> dict[str, Any]:
    with store.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
    if row is None:
        raise StoreError(store._missing(run_id))
    return dict(row)


def receive_run(store: Store, shipped: ShippedRun) -> int:
    """Write a shipped run into ``store`` in one transaction; its new run id.

    A run of a sweep task follows ``sim.store.tasks``: when the task already
    has a completed run there, nothing is written and that run's id is
    returned; unfinished runs of the task are replaced.
    """
    key = shipped.task()
    with store.engine.begin() as conn:
        if key is not None:
            done = completed_run(conn, key)
            if done is not None:
                return done
            stale = conn.execute(
                select(runs.c.id).where(key.where(), runs.c.status != "completed")
            ).scalars()
            delete_runs(conn, [int(i) for i in stale])
        result = conn.execute(insert(runs).values(**shipped.record))
        assert result.inserted_primary_key is not None
        run_id = int(result.inserted_primary_key[0])
        writer = RowWriter(store.engine, run_id)
        for data in shipped.batches:
            writer.write_in(conn, decode_batch(data), progress=False)
    return run_id


def export_run(store: Store, run_id: int, page: int = 20000) -> ShippedRun:
    """A stored run as a ``ShippedRun`` (its events in log order, its projections)."""
    record = {k: v for k, v in _record(store, run_id).items() if k != "id"}
    batches = [encode_batch(b) for b in _stored_batches(store, run_id, page)]
    return ShippedRun(record, tuple(batches))


def _stored_batches(store: Store, run_id: int, page: int) -> Iterator[RowBatch]:
    """The run's rows as batches of at most ``page`` rows, the log first, in log order."""
    log_cols = tuple(events.c[n] for n in ("stream_id", "version", "type", "time", "payload"))
    for rows in _pages(store, events, run_id, log_cols, events.c.position, page):
        ids, versions, types, times, payloads = zip(*rows, strict=True)
        yield RowBatch(len(rows), [(ids, versions, types, times, payloads)])
    for table in (contacts, agent_intervals, interval_kpis):
        cols = tuple(table.c[n] for n in insert_columns(table)[1:])
        order = table.c.seq if table is not interval_kpis else table.c.interval_start
        for rows in _pages(store, table, run_id, cols, order, page):
            made = ProjectionRows()
            getattr(made, table.name).extend(rows)
            yield RowBatch(0, [], made)


def _pages(
    store: Store, table: Table, run_id: int, cols: tuple[Any, ...], order: Any, page: int
) -> Iterator[list[tuple[Any, ...]]]:
    with store.engine.connect() as conn:
        query = select(*cols).where(table.c.run_id == run_id).order_by(order)
        result = conn.execution_options(yield_per=page).execute(query)
        for part in result.partitions():
            yield [tuple(r) for r in part]


def copy_run(source: Store, target: Store, run_id: int) -> int:
    """Copy run ``run_id`` of ``source`` into ``target`` (one transaction); its new id.

    The copy has the same record, log and projections (the log's stream
    numbers are made again, in the same order, so they match).
    """
    return receive_run(target, export_run(source, run_id))

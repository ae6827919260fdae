"""``BackgroundWriter``: an event sink whose SQLite work runs in another process.

The work of writing a run splits in two (``sim.store.writer``): making rows
(stream numbers, payload JSON, the projection fold: ``RowMaker``) and
inserting them (``RowWriter``). The simulation process makes the rows of
each chunk of events and marshals them down a pipe (``encode_rows``); a
writer process only
inserts them, on its own connection, committing about ``writer_chunk``
events' rows per transaction. On two cores the work is shared out so that
neither process waits long for the other.

Guarantees:

- The log and projections are the ones the in-process ``EventWriter`` makes:
  the same ``RowMaker`` makes the rows, from the same event objects.
- Each transaction holds whole chunks: the log and the projection rows it
  made final, so the log and its projections never disagree on disk.
- Memory is bounded: the child holds at most ``queue_chunks`` received chunks;
  when it falls behind, the pipe fills and ``append`` blocks (backpressure), so
  a slow disk never piles chunks up in RAM.
- A failure in the child surfaces in the parent as ``StoreError`` (checked at
  every chunk sent, and at ``close``); chunks committed before it stay.
- The child ignores SIGINT and SIGTERM: a Ctrl-C in a terminal reaches the
  whole process group, and the child must live to write what the parent
  flushes after it. It stops when the parent closes the pipe, or goes away
  (then it drops what it has not committed: the parent's end of the run is
  what decides what is kept).

Use it only from a single-run entry point (``sim.runner.run_scenario``): the
child is started with ``fork`` when the calling process has a single thread
(cheap: modules are already imported), else with ``spawn``.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import multiprocessing
import pickle
import queue
import signal
import threading
import traceback
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection
from typing import Any

from sim.domain import Event
from sim.store.opening import StoreError
from sim.store.projector import ProjectionRows
from sim.store.store import Store
from sim.store.writer import RowBatch, RowMaker, RowWriter

_CLOSE = b"C"  # the close message (an encoded batch never is one byte)
_END = b""  # the reader thread's marker: the parent went away without closing

# SQLite settings of the writer process's own connection, for a bulk load:
# a 32 MiB page cache keeps the hot index pages in memory; checkpointing every
# ~40 MB of WAL instead of every 4 MB halves the checkpoint work. Durability is
# unchanged (synchronous stays NORMAL).
BULK_PRAGMAS = (
    "PRAGMA cache_size=-32768",
    "PRAGMA wal_autocheckpoint=10000",
    "PRAGMA temp_store=MEMORY",
)


def _bulk_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    for pragma in BULK_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def open_bulk_store(url: str) -> Store:
    """A ``Store`` whose connections are tuned for one writer's bulk inserts."""
    from sqlalchemy import event

    store = Store(url)
    if store.engine.dialect.name == "sqlite":
        store.engine.dispose()  # connections opened so far lack the listener
        event.listen(store.engine, "connect", _bulk_pragmas)
    return store


class BackgroundWriter:
    """An ``EventSink`` handing a run's events to a writer process.

    Same contract as ``EventWriter``: ``append`` events in log order, then
    ``close(sim_end)`` once, which waits until the child has written
    everything and returns the number of events written. ``gc_threshold``:
    the writer process's collector thresholds (its default if None).
    """

    def __init__(
        self,
        store: Store,
        run_id: int,
        interval_s: float,
        *,
        chunk: int = 8192,
        writer_chunk: int = 40000,
        queue_chunks: int = 6,
        start_method: str | None = None,
        gc_threshold: tuple[int, int, int] | None = None,
    ) -> None:
        if store.name == ":memory:":
            raise StoreError("a background writer needs a database file, not :memory:")
        store.run(run_id)  # a clear error for a missing run, before forking
        store.set_interval(run_id, interval_s)
        self._run_id = run_id
        self._chunk = chunk
        self._maker = RowMaker(interval_s)
        self._buffer: list[Event] = []
        self._sent = 0
        self._state = "open"  # open | closed | broken
        if start_method is None:
            start_method = "fork" if threading.active_count() == 1 else "spawn"
        context: Any = multiprocessing.get_context(start_method)
        data_read, self._data = context.Pipe(duplex=False)
        self._result, result_write = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child_main,
            args=(
                store.url,
                run_id,
                (writer_chunk, queue_chunks),
                gc_threshold,
                (data_read, result_write),
                (self._data, self._result),
            ),
            name=f"sim-writer-{run_id}",
            daemon=True,
        )
        with _stop_signals_ignored():
            self._process.start()  # the child inherits the ignored dispositions
        data_read.close()
        result_write.close()

    @property
    def run_id(self) -> int:
        return self._run_id

    @property
    def events_written(self) -> int:
        """Events handed to the writer process so far (all written once closed)."""
        return self._sent

    def append(self, events: Sequence[Event]) -> None:
        """Buffer ``events``; ship a chunk to the writer once ``chunk`` are waiting."""
        self._check_open()
        if not self._buffer and isinstance(events, list) and len(events) >= self._chunk:
            self._buffer = events  # a whole chunk (the emitter's): shipped now, never changed
        else:
            self._buffer.extend(events)
        if len(self._buffer) >= self._chunk:
            self._ship()

    def flush(self) -> None:
        """Ship what is buffered (the child commits it in its own time)."""
        self._check_open()
        self._ship()

    def close(self, sim_end: float) -> int:
        """Ship the rest with the projections ended at ``sim_end``; the events written."""
        self._check_open()
        self._ship(sim_end)
        self._state = "closed"
        with contextlib.suppress(OSError):  # if the child is gone, its report says why
            self._data.send_bytes(_CLOSE)
        written = self._report()
        self._process.join()
        return written

    def abort(self, timeout: float = 60.0) -> None:
        """Stop the child without sending the rest; what it committed stays.

        The child finishes the transaction it is in (up to ``timeout``
        seconds), then drops what it holds; past the timeout it is killed
        (it ignores SIGTERM).
        """
        self._state = "broken"
        self._data.close()
        self._process.join(timeout=timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()

    # -- plumbing -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._state != "open":
            raise StoreError(f"run {self._run_id}: event writer is {self._state}")

    def _ship(self, sim_end: float | None = None) -> None:
        """Make the rows of the buffered events (all the rest at close) and send them."""
        buffer = self._buffer
        if not buffer and sim_end is None:
            return
        self._buffer = []
        if self._result.poll():  # the child only speaks early to report a failure
            self._report()
        maker = self._maker
        batch = maker.feed(buffer) if sim_end is None else maker.close(buffer, sim_end)
        p = batch.projections
        message = _encode((batch.events, batch.log, p.contacts, p.agent_intervals, p.interval_kpis))
        try:
            self._data.send_bytes(message)
        except OSError:
            self._report()  # raises with the child's error
        self._sent += len(buffer)

    def _report(self) -> int:
        """The child's final word: events written, or raise its error."""
        try:
            kind, value = self._result.recv()
        except (EOFError, OSError):
            kind, value = "error", f"writer process died (exit code {self._process.exitcode})"
        if kind == "ok":
            return int(value)
        self._state = "broken"
        self._data.close()
        self._process.join()
        raise StoreError(f"run {self._run_id}: background event writer failed: {value}")


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _stop_signals_ignored() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM within the block (main thread only: elsewhere
    the signal module cannot change them, and the child sets them itself)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = [signal.signal(s, signal.SIG_IGN) for s in _STOP_SIGNALS]
    try:
        yield
    finally:
        for sig, handler in zip(_STOP_SIGNALS, before, strict=True):
            signal.signal(sig, signal.SIG_DFL if handler is None else handler)


def _encode(rows: tuple[Any, ...]) -> bytes:
    """Rows of builtins as ``marshal`` (no memo: a third of pickle's cost on
    rows of fresh strings), anything else as pickle; one tag byte says which.
    Both ends run the same interpreter, so marshal's format matches."""
    try:
        return b"M" + marshal.dumps(rows, 4)
    except ValueError:  # an object marshal does not know (e.g. an enum member)
        return b"P" + pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(message: bytes) -> Any:
    body = memoryview(message)[1:]
    return marshal.loads(body) if message[:1] == b"M" else pickle.loads(body)


def _child_main(
    url: str,
    run_id: int,
    sizes: tuple[int, int],
    gc_threshold: tuple[int, int, int] | None,
    ends: tuple[Connection, Connection],
    parent_ends: tuple[Connection, Connection],
) -> None:
    """The writer process: receive row batches, insert them, report at the end."""
    for sig in _STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)  # the parent decides when this process ends
    writer_chunk, queue_chunks = sizes
    data, result = ends
    for end in parent_ends:
        end.close()  # else a dead parent would never look like EOF here
    store: Store | None = None
    if gc_threshold is not None:  # the runner's collector tuning (sim.runner.bulk_collector)
        gc.set_threshold(*gc_threshold)
    try:
        store = open_bulk_store(url)
        writer = RowWriter(store.engine, run_id)
        inbox: queue.Queue[bytes] = queue.Queue(maxsize=queue_chunks)
        # A reader thread keeps the pipe drained while the main thread is in
        # SQLite (which releases the GIL), so the parent rarely waits.
        threading.Thread(target=_read, args=(data, inbox), daemon=True).start()
        pending = RowBatch()
        written = 0
        while True:
            message = inbox.get()
            if message == _END:
                return  # the parent went away: what was committed stays
            if message != _CLOSE:
                events, log, contacts, intervals, kpis = _decode(message)
                batch = RowBatch(events, log, ProjectionRows(contacts, intervals, kpis))
                if pending.events or len(pending.projections):
                    pending.extend(batch)
                else:
                    pending = batch
                if pending.events < writer_chunk:
                    continue
            writer.write(pending)
            written += pending.events
            pending = RowBatch()
            if message == _CLOSE:
                result.send(("ok", written))
                return
    except BaseException:  # everything is reported to the parent
        result.send(("error", traceback.format_exc()))
    finally:
        if store is not None:
            store.dispose()


def _read(data: Connection, inbox: queue.Queue[bytes]) -> None:
    while True:
        try:
            message = data.recv_bytes()
        except (EOFError, OSError):
            inbox.put(_END)
            return
        inbox.put(message)
        if message == _CLOSE:
            return

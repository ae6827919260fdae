"""Replay: rebuild every projection of a run from its events and compare.

The rebuild drives the same ``Projector`` the writer used, over the stored
log, and compares row by row with what is stored, streaming: contacts and
agent intervals are compared in projector emission order (their ``seq``
column), so only one page of each side is held at a time; interval KPIs
(one row per interval and campaign) are compared by key. The log itself is
checked too: event count against the run record, and no version gaps.

A run whose process died (``RunInfo.killed``: interrupted with no
``sim_end``) never closed its projections: the store holds the rows its
committed events made final, and no others. Its rebuild is then the fold of
the log without the close (no rows of contacts or agent spans still open,
no ``interval_kpis``, which are written at close), and "equal" means every
row the committed events made final is stored, unchanged, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Table, func, select

from sim.store.opening import StoreError
from sim.store.projector import ProjectionRows, Projector, Row
from sim.store.schema import agent_intervals, contacts, events, insert_columns, interval_kpis
from sim.store.store import Store

_PAGE = 5000


@dataclass(frozen=True)
class ReplayResult:
    """Whether the stored projections equal the ones rebuilt from the log.

    ``differences`` holds the first ``max_differences`` findings (e.g.
    ``"contacts[abc]: outcome stored=X rebuilt=Y"``), ``difference_count``
    all of them; ``counts`` maps each table to (stored rows, rebuilt rows).
    """

    run_id: int
    equal: bool
    differences: list[str]
    difference_count: int
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)
    partial: bool = False  # a killed run: compared without closing the fold


class _Findings:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(text)


def _stored_pages(store: Store, table: Table, run_id: int) -> Iterator[Row]:
    """Stored rows of ``table`` for ``run_id`` in ``seq`` order, one keyset page at a time."""
    cols = [table.c[name] for name in insert_columns(table)[1:]]
    last = -1
    while True:
        query = (
            select(*cols)
            .where(table.c.run_id == run_id, table.c.seq > last)
            .order_by(table.c.seq)
            .limit(_PAGE)
        )
        with store.engine.connect() as conn:
            rows = conn.execute(query).all()
        yield from (tuple(r) for r in rows)
        if len(rows) < _PAGE:
            return
        last = rows[-1][cols.index(table.c.seq)]


class _SeqComparer:
    """Merge-compare rebuilt rows (arriving in seq order) with the stored ones."""

    def __init__(self, store: Store, table: Table, run_id: int, findings: _Findings) -> None:
        self.table = table.name
        self.names = insert_columns(table)[1:]
        self.seq_at = self.names.index("seq")
        self.stored = _stored_pages(store, table, run_id)
        self.pending: Row | None = next(self.stored, None)
        self.findings = findings
        self.n_stored = 1 if self.pending is not None else 0
        self.n_rebuilt = 0

    def _advance(self) -> None:
        self.pending = next(self.stored, None)
        if self.pending is not None:
            self.n_stored += 1

    def _key(self, row: Row) -> str:
        if self.table == "agent_intervals":
            return f"{row[0]}@{row[1]}"
        return str(row[0])

    def push(self, rebuilt: Row) -> None:
        self.n_rebuilt += 1
        seq = rebuilt[self.seq_at]
        while self.pending is not None and self.pending[self.seq_at] < seq:
            self.findings.add(f"{self.table}[{self._key(self.pending)}]: stored, not rebuilt")
            self._advance()
        if self.pending is None or self.pending[self.seq_at] > seq:
            self.findings.add(f"{self.table}[{self._key(rebuilt)}]: rebuilt, not stored")
            return
        _compare(self.table, self._key(rebuilt), self.names, self.pending, rebuilt, self.findings)
        self._advance()

    def finish(self) -> tuple[int, int]:
        while self.pending is not None:
            self.findings.add(f"{self.table}[{self._key(self.pending)}]: stored, not rebuilt")
            self._advance()
        return self.n_stored, self.n_rebuilt


def _compare(
    table: str, key: str, names: list[str], stored: Row, rebuilt: Row, findings: _Findings
) -> None:
    for name, a, b in zip(names, stored, rebuilt, strict=True):
        if a != b and not _nul_replaced(a, b):
            findings.add(f"{table}[{key}]: {name} stored={a!r} rebuilt={b!r}")


def _nul_replaced(stored: object, rebuilt: object) -> bool:
    """PostgreSQL text cannot hold U+0000: its store keeps U+FFFD there (``postgres.copy_rows``)."""
    return (
        type(stored) is str
        and type(rebuilt) is str
        and "\x00" in rebuilt
        and stored == rebuilt.replace("\x00", "\ufffd")
    )


def _compare_kpis(store: Store, run_id: int, rebuilt: list[Row], findings: _Findings) -> int:
    names = insert_columns(interval_kpis)[1:]
    cols = [interval_kpis.c[n] for n in names]
    with store.engine.connect() as conn:
        rows = conn.execute(select(*cols).where(interval_kpis.c.run_id == run_id)).all()
    stored = {(r[0], r[1]): tuple(r) for r in rows}
    for row in rebuilt:
        key = f"{row[0]!r}/{row[1]}"
        mine = stored.pop((row[0], row[1]), None)
        if mine is None:
            findings.add(f"interval_kpis[{key}]: rebuilt, not stored")
        else:
            _compare("interval_kpis", key, names, mine, row, findings)
    for start, campaign in stored:
        findings.add(f"interval_kpis[{start!r}/{campaign}]: stored, not rebuilt")
    return len(rows)


def _check_versions(store: Store, run_id: int, findings: _Findings) -> None:
    query = (
        select(
            events.c.stream_id, func.min(events.c.version), func.max(events.c.version), func.count()
        )
        .where(events.c.run_id == run_id)
        .group_by(events.c.stream_id)
        .having((func.max(events.c.version) != func.count()) | (func.min(events.c.version) != 1))
    )
    with store.engine.connect() as conn:
        for stream_id, lo, hi, n in conn.execute(query):
            findings.add(f"events[{stream_id}]: versions {lo}..{hi} but {n} events (gap)")


def replay(
    store: Store, run_id: int, *, max_differences: int = 20, batch: int = 50000
) -> ReplayResult:
    """Rebuild the run's projections from its events alone and compare with the stored ones."""
    info = store.run(run_id)
    if info.interval_s is None:
        raise StoreError(
            f"run {run_id} has no interval_s: its events were not written by "
            "EventWriter, so there are no projections to compare"
        )
    if info.status == "running":
        raise StoreError(
            f"run {run_id} is still running (pid {info.pid} on {info.host}): "
            "its projections are not complete"
        )
    if info.sim_end is None and not info.killed:
        raise StoreError(f"run {run_id} has no sim_end: its projections were never closed")
    findings = _Findings(max_differences)
    projector = Projector(info.interval_s)
    comparers = {
        t.name: _SeqComparer(store, t, run_id, findings) for t in (contacts, agent_intervals)
    }
    n_events = 0
    for chunk in store.iter_event_batches(run_id, batch):
        n_events += len(chunk)
        _push(comparers, projector.feed(chunk))
    final = ProjectionRows() if info.sim_end is None else projector.close(info.sim_end)
    _push(comparers, final)
    counts = {name: c.finish() for name, c in comparers.items()}
    counts["interval_kpis"] = (
        _compare_kpis(store, run_id, final.interval_kpis, findings),
        len(final.interval_kpis),
    )
    counts["events"] = (info.events, n_events)
    if info.events != n_events:
        findings.add(f"events: run record says {info.events}, log holds {n_events}")
    _check_versions(store, run_id, findings)
    return ReplayResult(
        run_id, findings.count == 0, findings.items, findings.count, counts, info.killed
    )


def _push(comparers: dict[str, _SeqComparer], rows: ProjectionRows) -> None:
    for row in rows.contacts:
        comparers["contacts"].push(row)
    for row in rows.agent_intervals:
        comparers["agent_intervals"].push(row)

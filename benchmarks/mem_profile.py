"""Where a run's memory goes: tracemalloc snapshots as the list is worked through.

    python benchmarks/mem_profile.py [--workload mmc|p1|zones] [--at 50000,100000,200000] [--top 12]

Runs a workload (``mmc``: the M/M/50 single-request workload of
``bench_mmc.py``; ``p1``: the batches-of-25 workload of ``bench_pipeline.py``)
in this process with the inline event writer (so every Python allocation of
the run is traced: the model, the core, the projector and the rows) and
takes a tracemalloc snapshot each time the count of dial requests accepted
passes a mark of ``--at``. ``zones`` is the list of ``bench_zones.py``
instead, one run per mark (a list of that many rows) with the horizon cut
at 08:50 New York time, before any calling window opens: the snapshot,
taken at the end of the run, holds every row as a waiting contact, so the
growth per request is what one waiting contact costs. For each mark it prints the traced memory, the
process's current RSS, and the allocation sites (file:line) holding the most
memory; then the sites that grew most between the first and the last mark,
with their growth per request. SQLite's page cache is C memory and is not
traced: compare "traced" with "rss" to see it.

Tracing slows the run several times; the figures are sizes, not speeds.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import tempfile
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from sim.domain import Event  # noqa: E402

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_FILTERS = [
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
    tracemalloc.Filter(False, "<unknown>"),
]


def current_rss_mb() -> float:
    """Resident set size now (not the peak), from /proc."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except OSError:  # not Linux: the peak is the best there is
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class SnapshotSink:
    """An event sink in front of the run's writer: snapshots at request marks."""

    def __init__(self, inner: Any, marks: Sequence[int]) -> None:
        self.inner = inner
        self.marks = sorted(marks)
        self.accepted = 0
        self.snapshots: list[tuple[int, tracemalloc.Snapshot, float]] = []

    def append(self, events: Sequence[Event]) -> None:
        self.inner.append(events)
        self.accepted += sum(1 for e in events if e[2] == "DIAL_REQUEST_ACCEPTED")
        while self.marks and self.accepted >= self.marks[0]:
            mark = self.marks.pop(0)
            gc.collect()
            snap = tracemalloc.take_snapshot().filter_traces(_FILTERS)
            self.snapshots.append((mark, snap, current_rss_mb()))
            print(
                f"  at {mark:,} requests: traced {_total(snap) / 2**20:.1f} MB,"
                f" rss {current_rss_mb():.0f} MB",
                file=sys.stderr,
            )


def _total(snapshot: tracemalloc.Snapshot) -> int:
    return sum(stat.size for stat in snapshot.statistics("filename"))


def scenario_for(workload: str, requests: int) -> Any:
    from sim.scenario import parse_scenario

    if workload == "mmc":
        from bench_mmc import scenario_dict

        return parse_scenario(scenario_dict(requests, 50))
    from bench_pipeline import scenario_dict as p1_dict
    from floor import Workload

    return parse_scenario(p1_dict(Workload(requests=requests), "progressive"))


def profile(workload: str, marks: Sequence[int], db: str) -> SnapshotSink:
    """Run the workload to the last mark with the inline writer, snapshotting."""
    from sim.connect import OutboundCore
    from sim.engine import Emitter, Model
    from sim.runner import bulk_collector, core_config
    from sim.store import Store

    scenario = scenario_for(workload, max(marks))
    store = Store(db)
    run_id = store.begin_run(name=scenario.name, scenario={}, seed=1, version="mem", sim_start=0.0)
    writer = store.writer(run_id, scenario.interval)
    sink = SnapshotSink(writer, marks)
    emitter = Emitter(sink)
    rng = random.Random(scenario.seed)
    tracemalloc.start(1)
    with bulk_collector():
        core = OutboundCore(core_config(scenario), rng, emitter)
        model = Model(scenario, rng, emitter, core)
        result = model.run()
        writer.close(result.sim_end)
    tracemalloc.stop()
    store.dispose()
    return sink


class _Snapshots:
    def __init__(self) -> None:
        self.snapshots: list[tuple[int, tracemalloc.Snapshot, float]] = []


def profile_zones(marks: Sequence[int], tmp: Path) -> _Snapshots:
    """One ``bench_zones`` list per mark, run until just before the windows open."""
    import bench_zones

    from sim.connect import OutboundCore
    from sim.engine import Emitter, Model
    from sim.runner import bulk_collector, core_config
    from sim.scenario import parse_scenario
    from sim.store import Store

    out = _Snapshots()
    for rows in sorted(marks):
        listed = tmp / f"zones-{rows}.csv"
        bench_zones.write_list(listed, rows, four_zones=True)
        raw = bench_zones.scenario_dict(rows, listed)
        raw["horizon"] = "3h50m"  # 05:00 -> 08:50 New York: every zone still closed
        scenario = parse_scenario(raw, tmp)
        store = Store(str(tmp / f"zones-{rows}.db"))
        run_id = store.begin_run(
            name=scenario.name, scenario={}, seed=1, version="mem", sim_start=0.0
        )
        # The chunk the background writer's RowMaker is fed.
        writer = store.writer(run_id, scenario.interval, chunk_size=8192)
        emitter = Emitter(writer)
        rng = random.Random(scenario.seed)
        gc.collect()
        tracemalloc.start(1)
        with bulk_collector():
            core = OutboundCore(core_config(scenario), rng, emitter)
            result = Model(scenario, rng, emitter, core).run()
            writer.flush()
            gc.collect()
            snap = tracemalloc.take_snapshot().filter_traces(_FILTERS)
            tracemalloc.stop()
            out.snapshots.append((rows, snap, current_rss_mb()))
            print(
                f"  {rows:,} rows waiting: traced {_total(snap) / 2**20:.1f} MB,"
                f" rss {current_rss_mb():.0f} MB",
                file=sys.stderr,
            )
            writer.close(result.sim_end)
        store.dispose()
    return out


def report(sink: SnapshotSink | _Snapshots, top: int) -> None:
    for mark, snap, rss in sink.snapshots:
        print(f"\n== {mark:,} requests: traced {_total(snap) / 2**20:.1f} MB, rss {rss:.0f} MB")
        for stat in snap.statistics("lineno")[:top]:
            frame = stat.traceback[0]
            print(
                f"{stat.size / 2**20:9.2f} MB {stat.count:>10,} blocks  "
                f"{_short(frame.filename)}:{frame.lineno}"
            )
    if len(sink.snapshots) < 2:
        return
    (m0, first, _), (m1, last, _) = sink.snapshots[0], sink.snapshots[-1]
    span = m1 - m0
    grown = _total(last) - _total(first)
    print(
        f"\n== growth {m0:,} -> {m1:,} requests: {grown / 2**20:.1f} MB traced,"
        f" {grown / span:.0f} bytes per request"
    )
    for diff in last.compare_to(first, "lineno")[:top]:
        frame = diff.traceback[0]
        print(
            f"{diff.size_diff / span:9.0f} B/request {diff.count_diff / span:7.2f} blocks/request  "
            f"{_short(frame.filename)}:{frame.lineno}"
        )


def _short(filename: str) -> str:
    for anchor in ("/sim/", "/site-packages/", "/lib/python"):
        at = filename.rfind(anchor)
        if at >= 0:
            return filename[at + 1 :]
    return filename


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--workload", choices=["mmc", "p1", "zones"], default="mmc")
    parser.add_argument(
        "--at", default="50000,100000,200000", help="request marks (comma-separated)"
    )
    parser.add_argument("--top", type=int, default=12, help="allocation sites shown per snapshot")
    args = parser.parse_args(argv)
    marks = [int(m) for m in args.at.split(",") if m.strip()]
    print(f"workload {args.workload}, snapshots at {', '.join(f'{m:,}' for m in marks)} requests")
    with tempfile.TemporaryDirectory() as tmp:
        if args.workload == "zones":
            sink: SnapshotSink | _Snapshots = profile_zones(marks, Path(tmp))
        else:
            sink = profile(args.workload, marks, str(Path(tmp) / "mem.db"))
    report(sink, args.top)


if __name__ == "__main__":
    main()

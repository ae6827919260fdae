"""Speed-up of a sweep on a Dask LocalCluster of N workers over 1 worker, same grid.

    python benchmarks/bench_sweep.py [--k 3] [--workers 2] [--db URL] [--horizon 8h]
    python benchmarks/bench_sweep.py --workers 2,4,8      # on a bigger machine

Sweeps ``scenarios/progressive_day.yaml`` (runs of a few seconds: the
cost a real sweep is made of) over 4 morning headcounts with ``--k``
replications per point, on a LocalCluster of 1 worker and then of each N in
``--workers`` (processes, one thread each). Each cluster is started and its
workers have imported the simulator before the clock starts, so the times
are the sweeps' own. Runs land in a fresh SQLite file per sweep (workers
write it directly), or in ``--db`` (e.g. a PostgreSQL URL; one database,
one sweep id per sweep). Prints each wall time, then one line per N:
``workers=N speedup=<1-worker time / N-worker time>``.
Target (issue 15): speedup >= 1.7 with 2 workers on 2 idle cores.
``--horizon`` shortens every run (the smoke test's tiny size), default the
scenario's own 8 hours.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sim.analysis.experiments import run_sweep  # noqa: E402
from sim.analysis.fanout import open_cluster  # noqa: E402
from sim.scenario import apply_overrides, load_scenario  # noqa: E402
from sim.store import Store  # noqa: E402

GRID = [("agent_groups[0].staffing[0].agents", [10, 12, 14, 16])]


def _warm() -> None:
    import sim.analysis.fanout  # noqa: F401  (the task module and what it imports)


def timed_sweep(url: str, k: int, workers: int, horizon: str | None) -> tuple[float, int]:
    """(wall seconds, completed runs) of one sweep on a fresh LocalCluster."""
    scenario = load_scenario(HERE.parent / "scenarios" / "progressive_day.yaml")
    if horizon is not None:
        scenario = apply_overrides(scenario, {"horizon": horizon})
    with open_cluster(workers) as cluster:
        cluster.client.run(_warm)
        started = time.perf_counter()
        sweep = run_sweep(scenario, url, GRID, k=k, cluster=cluster)
        elapsed = time.perf_counter() - started
    store = Store(url)
    runs = sum(1 for r in store.runs() if r.sweep == sweep and r.status == "completed")
    store.dispose()
    return elapsed, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3, help="replications per grid point")
    parser.add_argument(
        "--workers", default="2", help="worker counts to compare with 1, comma-separated"
    )
    parser.add_argument("--db", default=None, help="store URL (default: a temp SQLite file)")
    parser.add_argument("--horizon", default=None, help="each run's horizon (e.g. 30m)")
    args = parser.parse_args()
    counts = sorted({int(n) for n in args.workers.split(",")} - {1})
    times: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in [1, *counts]:
            url = args.db or str(Path(tmp) / f"sweep-{n}.db")
            times[n], runs = timed_sweep(url, args.k, n, args.horizon)
            print(f"{n} worker(s): {times[n]:.2f} s ({runs} runs)", flush=True)
    print(f"grid: {len(GRID[0][1])} points x {args.k} replications")
    for n in counts:
        print(f"workers={n} speedup={times[1] / times[n]:.2f}")


if __name__ == "__main__":
    main()

"""Speed-up of a sweep in 2 worker processes over 1, on the same grid.

    python benchmarks/bench_sweep.py [--k 3] [--workers 2] [--horizon 8h]

Sweeps ``scenarios/progressive_day.yaml`` (runs of a few seconds: the
cost a real sweep is made of) over 4 morning headcounts with ``--k``
replications per point, once with 1 worker (runs in this process, straight
into the database) and once with ``--workers`` (each worker simulates into
its own temporary SQLite file; the parent merges finished runs). Each sweep
writes a fresh database in a temporary folder. Both wall times are printed,
and the last line reads ``speedup=<1-worker time / N-worker time>``.
Target (issue 5): speedup >= 1.7 with 2 workers on 2 idle cores.
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
from sim.scenario import apply_overrides, load_scenario  # noqa: E402
from sim.store import Store  # noqa: E402

GRID = [("agent_groups[0].staffing[0].agents", [10, 12, 14, 16])]


def timed_sweep(folder: Path, k: int, workers: int, horizon: str | None) -> tuple[float, int]:
    """(wall seconds, runs recorded) of one sweep into a fresh database."""
    scenario = load_scenario(HERE.parent / "scenarios" / "progressive_day.yaml")
    if horizon is not None:
        scenario = apply_overrides(scenario, {"horizon": horizon})
    url = str(folder / f"sweep-{workers}.db")
    started = time.perf_counter()
    sweep = run_sweep(scenario, url, GRID, k=k, workers=workers)
    elapsed = time.perf_counter() - started
    store = Store(url)
    runs = sum(1 for r in store.runs() if r.sweep == sweep and r.status == "completed")
    store.dispose()
    return elapsed, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3, help="replications per grid point")
    parser.add_argument("--workers", type=int, default=2, help="worker processes to compare")
    parser.add_argument("--horizon", default=None, help="each run's horizon (e.g. 30m)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one, n_one = timed_sweep(folder, args.k, 1, args.horizon)
        many, n_many = timed_sweep(folder, args.k, args.workers, args.horizon)
    print(f"grid: {len(GRID[0][1])} points x {args.k} replications = {n_one} runs")
    print(f"1 worker:  {one:.2f} s ({n_one} runs)")
    print(f"{args.workers} workers: {many:.2f} s ({n_many} runs)")
    print(f"speedup={one / many:.2f}")


if __name__ == "__main__":
    main()

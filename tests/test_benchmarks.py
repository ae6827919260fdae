"""Every benchmark script still runs: each one at a tiny size, as a user runs it.

Not a timing test: only that the command exits 0 and prints its summary line
(the figures at these sizes mean nothing).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

# script -> (tiny arguments, pattern of the last line)
RUNS: dict[str, tuple[list[str], str]] = {
    "bench_mmc.py": (["--requests", "300", "--agents", "5"], r"ratio=\S+ rss_mb=\d+"),
    "bench_pipeline.py": (["--requests", "300"], r"ratio=\S+ cpu_ratio=\S+ rss_mb=\d+"),
    "bench_connect.py": (
        ["--items", "50", "--repeat", "1"],
        r"batch_put_contact_items_per_s=\d+ put_dial_request_items_per_s=\d+",
    ),
    "bench_store.py": (
        ["--events", "3000"],
        r"postgres/sqlite=\S+|PostgreSQL\s+: skipped: .*",
    ),
    "bench_csv.py": (["--rows", "2000", "--repeat", "1"], r"rows\s+wall .* cpu ratio\s+\S+ .*"),
    "bench_ledger.py": (["--recipients", "2000"], r"ratio=\S+ bytes_per_recipient=\S+"),
    "bench_server.py": (
        ["--clients", "2", "--requests", "3", "--timeout", "60"],
        r"requests_per_s=\d+ p99_ms=\S+ errors_5xx=0",
    ),
    "bench_sweep.py": (["--k", "1", "--horizon", "20m"], r"workers=2 speedup=\S+"),
    "bench_zones.py": (["--rows", "2000"], r"rss_mb=\d+ ratio_rss=\S+ dials=\d+"),
    "mem_profile.py": (["--at", "100,200", "--top", "3"], r"-?\d+ B/request .*"),
}


def test_every_benchmark_script_is_covered() -> None:
    scripts = {p.name for p in BENCHMARKS.glob("*.py")} - {"floor.py"}  # floor: a module
    assert scripts == set(RUNS)


@pytest.mark.parametrize("script", sorted(RUNS))
def test_benchmark_runs_at_a_tiny_size(script: str) -> None:
    args, last_line = RUNS[script]
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert lines and re.fullmatch(last_line, lines[-1].strip()), done.stdout[-2000:]


def test_mem_profile_zones_workload_runs_at_a_tiny_size() -> None:
    """The waiting-contact profile (a list waiting for its windows) also runs."""
    args = ["--workload", "zones", "--at", "300,600", "--top", "3"]
    done = subprocess.run(
        [sys.executable, str(BENCHMARKS / "mem_profile.py"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=BENCHMARKS.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "growth 300 -> 600 requests" in done.stdout, done.stdout[-2000:]


def test_mmc_store_floor_inserts_exactly_the_rows_the_run_wrote(tmp_path: Path) -> None:
    """The store floor times the real rows: every row of the run, none left out, none changed."""
    import sqlite3

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import bench_mmc
    finally:
        sys.path.remove(str(BENCHMARKS))
    db, copy = tmp_path / "mmc.db", tmp_path / "floor.db"
    bench_mmc.child_sim(400, 5, str(db))
    timings = bench_mmc.child_floor(str(db), str(copy))
    assert timings["seconds"] > 0 and set(bench_mmc.FLOOR_TABLES) <= {
        key.removesuffix("_s") for key in timings
    }
    source, target = sqlite3.connect(db), sqlite3.connect(copy)
    tables = [
        name
        for (name,) in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if name not in ("store_meta", "sqlite_sequence")  # the store's own, not the run's
    ]
    assert len(tables) == 5
    for table in tables:
        rows = source.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()
        assert rows, table
        assert target.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall() == rows
    schema = (
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    assert target.execute(schema).fetchall() == source.execute(schema).fetchall()

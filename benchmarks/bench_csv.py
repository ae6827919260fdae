"""How long `sim validate` takes to check a big CSV list, against reading it bare.

    python benchmarks/bench_csv.py [--rows 1000000] [--repeat 1]

Writes a list of ROWS numbers (phone, first name, account id, as
scenarios/lists/blast.csv) to a temporary folder, then times, back to back:

- floor: ``csv.reader`` over the file, counting rows (what any reader pays);
- validate: ``check_csv``, every row checked (what ``sim validate`` adds);
- rows: ``CsvSource.rows()``, the rows the run reads.

Each is the fastest of --repeat runs, in wall and CPU seconds (on a shared
machine the wall clock also counts other people's work); the ratio is CPU
against the floor's, measured in the same run. Peak memory is the Python
heap's (tracemalloc), measured in a separate pass so it does not slow the
timed ones: it stays flat as ROWS grows.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from sim.scenario import CsvSource, csvlist


def write_list(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["phone_number", "first_name", "account_id"])
        for i in range(rows):
            writer.writerow([f"+1{2_010_000_000 + i}", "Elena", f"ACC-{100_000 + i}"])


def floor(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def validate(path: Path) -> int:
    csvlist._check.cache_clear()  # measure the reading, not the remembered answer
    problems = csvlist.check_csv(path, "phone_number", None)
    assert not problems, problems
    return 0


def rows(source: CsvSource) -> int:
    return sum(1 for _ in source.rows())


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The fastest (wall, CPU) seconds of ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(t[0] for t in times), min(t[1] for t in times)


def peak_kib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "list.csv"
        write_list(path, args.rows)
        source = CsvSource(path=path)
        mib = path.stat().st_size / 2**20
        print(f"{args.rows:,} rows, {mib:.1f} MiB")
        base_wall, base_cpu = best(lambda: floor(path), args.repeat)
        print(f"floor     wall {base_wall:6.2f} s   cpu {base_cpu:6.2f} s")
        for name, fn in (("validate", lambda: validate(path)), ("rows", lambda: rows(source))):
            wall, cpu = best(fn, args.repeat)
            print(
                f"{name:<9} wall {wall:6.2f} s   cpu {cpu:6.2f} s   cpu ratio"
                f" {cpu / base_cpu:5.2f}   {args.rows / cpu:,.0f} rows per cpu-second"
                f"   heap peak {peak_kib(fn):,.0f} KiB"
            )


if __name__ == "__main__":
    main()

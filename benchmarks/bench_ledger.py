"""Benchmark: memory and speed of the contact-limit ledger per million recipients.

Run:  .venv/bin/python benchmarks/bench_ledger.py [--recipients 1000000] [--limits 2]

Records one contact for each of N distinct U.S. numbers in a
``sim.connect.limits.ContactLedger`` (limits 3 per day and 6 per week unless
``--limits 1``), then checks ``allowed`` for each. The reference, measured in
the same run, is the obvious Python structure: a dict from the number string
to a list of contact times. Prints bytes per recipient of both (tracemalloc:
every allocation the structure holds, keys included), their ratio, and
operations per second of each. Last line: ``ratio=... bytes_per_recipient=...``.
Not a timed test.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.connect.limits import ContactLedger
from sim.connect.v2config import DAY_S, Limit

T0 = 1_767_250_800.0


def numbers(n: int) -> list[str]:
    # Spread over the NANP space like a real list: distinct, not sequential.
    return [f"+1{2_000_000_000 + (i * 7_919_993) % 7_999_999_999}" for i in range(n)]


def measure(build: Callable[[], object], n: int) -> tuple[float, float]:
    """(bytes per recipient, seconds) of what ``build`` returns: the memory under
    tracemalloc, the time in a second build without it (tracing slows allocation)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = build()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del kept
    gc.collect()
    t = time.perf_counter()
    kept = build()
    elapsed = time.perf_counter() - t
    del kept
    return held / n, elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--recipients", type=int, default=1_000_000)
    ap.add_argument("--limits", type=int, choices=(1, 2), default=2)
    args = ap.parse_args()
    n = args.recipients
    limits = [Limit(3, DAY_S), Limit(6, 7 * DAY_S)][: args.limits]
    nums = numbers(n)

    def ours() -> ContactLedger:
        ledger = ContactLedger(limits, epoch=T0)
        for i, number in enumerate(nums):
            ledger.record(number, T0 + i * 0.01)
        allowed = ledger.allowed
        assert all(allowed(number, T0 + n) for number in nums[: min(n, 1000)])
        return ledger

    def reference() -> dict[str, list[float]]:
        table: dict[str, list[float]] = {}
        for i, number in enumerate(nums):
            table.setdefault(number, []).append(T0 + i * 0.01)
        return table

    ours_b, ours_s = measure(ours, n)
    ref_b, ref_s = measure(reference, n)
    print(f"recipients={n} limits={args.limits} ring={max(lim.max_count for lim in limits)}")
    print(f"ledger:    {ours_b:7.1f} bytes/recipient  {n / ours_s:>10,.0f} records/s")
    print(f"dict+list: {ref_b:7.1f} bytes/recipient  {n / ref_s:>10,.0f} records/s")
    print(f"ratio={ours_b / ref_b:.3f} bytes_per_recipient={ours_b:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

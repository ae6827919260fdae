"""Peak memory of a national list dialed under calling hours, four zones against one.

    python benchmarks/bench_zones.py [--rows 1000000] [--serial] [--buffer-limit 10000]

Writes a synthetic CSV list of ROWS numbers to a temporary folder: each row in
Eastern, Central, Mountain or Pacific time (weights 47/30/7/16 %, as
tools/gen_national_list.py), its area code one that libphonenumber maps
wholly to that zone, the line a fictional 555-01xx one (deterministic seed;
numbers repeat, which nothing in the run minds: no contact limits). The
reference list is the same rows with every number in one area code (212,
New York). Each list is read by a v2 agentless scenario modelled on
scenarios/national_4zones.yaml: calling hours 09:00-21:00 in the recipient's
local time every day, AREA_CODE detection, default zone New York, the
shipped answer-rates-by-hour profile, the list ingested from 05:00 New York
time (before any zone opens) so it waits in the zoned queues, lines and
horizon scaled so the whole list is dialed over about two simulated days,
and requests that do not expire before the horizon. The campaign buffer is
the scenario default (10,000 pending requests, as the shipped example
runs): the loader holds the rest of the list back while the buffer is full.
``--buffer-limit ROWS`` lets the whole list in at once, so every row waits
as a created contact: the worst case for memory.

Each side runs ``sim.runner.run_scenario`` (what ``sim run`` calls, writer
chosen as ``sim run`` chooses it) in its own child process, so each peak RSS
is its own: the simulation process's plus its background writer's. The two
sides run at the same time (``--serial``: one after the other); their wall
times are shown for information only.
The last line reads ``rss_mb=<four-zone peak> ratio_rss=<four-zone/one-zone>
dials=<dials of the four-zone run>``. Target (issue 13): rss_mb <= 300 at
1,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PROFILE = HERE.parent / "scenarios" / "profiles" / "answer_rates_by_hour.yaml"
ZONES = {  # IANA zone -> share of the list
    "America/New_York": 0.47,
    "America/Chicago": 0.30,
    "America/Denver": 0.07,
    "America/Los_Angeles": 0.16,
}
ONE_ZONE_NPA = "212"  # New York City
CALL_S = 30.0  # a rough mean line holding time of one agentless dial
OPEN_H = 12.0  # 09:00-21:00 local
# api.buffer_limit's default (sim.scenario.model.ApiSettings): the pending requests a
# campaign holds; the loader backs off on BufferLimitExceeded and reads on.
BUFFER_LIMIT = 10_000
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def zone_area_codes() -> dict[str, list[str]]:
    """Per zone, the area codes that libphonenumber maps wholly to it."""
    from sim.connect.timezones import area_codes

    table = area_codes()
    out: dict[str, list[str]] = {z: [] for z in ZONES}
    for npa in range(200, 1000):
        zones = table.zones(f"+1{npa}5550100")
        if zones is not None and len(zones) == 1 and zones[0] in out:
            out[zones[0]].append(str(npa))
    missing = [z for z, npas in out.items() if not npas]
    if missing:
        raise SystemExit(f"no area code found for {', '.join(missing)}")
    return out


def write_list(path: Path, rows: int, four_zones: bool, seed: int = 13) -> None:
    rng = random.Random(seed)
    pool = zone_area_codes()
    zones = list(ZONES)
    weights = [ZONES[z] for z in zones]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["phone_number", "account_id"])
        for i in range(rows):
            zone = rng.choices(zones, weights=weights)[0]
            npa = rng.choice(pool[zone]) if four_zones else ONE_ZONE_NPA
            writer.writerow([f"+1{npa}555{rng.randrange(100, 200):04d}", f"ACC-{100_000 + i}"])


def lines_for(rows: int) -> int:
    """Lines enough to dial the list in about two days of 12 open hours."""
    return max(10, math.ceil(rows / (2 * OPEN_H * 3600.0 / CALL_S)))


def scenario_dict(rows: int, list_path: Path, buffer_limit: int = BUFFER_LIMIT) -> dict[str, Any]:
    lines = lines_for(rows)
    days = math.ceil(rows / (lines * OPEN_H * 3600.0 / CALL_S))
    horizon = f"{(days * 2 + 1) * 24}h"
    hours = [{"startTime": "T09:00", "endTime": "T21:00"}]
    return {
        "name": "bench-zones",
        "seed": 13,
        "start": "2026-11-23T05:00:00-05:00",  # a Monday, before any zone opens
        "horizon": horizon,
        "interval": "1h",
        "instance": {
            "queues": ["q"],
            "phone_numbers": ["+15550100"],
            "concurrent_calls": lines,
        },
        "campaigns": [
            {
                "id": "national",
                "mode": "agentless",
                "api": "v2",
                "answering_machine_detection": True,
                "ring_timeout": "20s",
                "communication_time": {
                    "localTimeZoneConfig": {
                        "localTimeZoneDetection": ["AREA_CODE"],
                        "defaultTimeZone": "America/New_York",
                    },
                    "telephony": {"openHours": {"dailyHours": {d: hours for d in DAYS}}},
                },
                "answer_rates_by_hour": str(PROFILE),
                "sources": [
                    {
                        "kind": "csv",
                        "path": str(list_path),
                        "phone_column": "phone_number",
                        "attribute_columns": ["account_id"],
                        "batch_size": 25,
                        "expires_after": horizon,
                    }
                ],
            }
        ],
        "outcomes": {
            "live_answer": 0.30,
            "voicemail": 0.35,
            "no_answer": 0.25,
            "busy": 0.05,
            "invalid_number": 0.05,
        },
        "durations": {
            "ring_to_answer": {"kind": "exponential", "mean": "12s"},
            "voicemail": {"kind": "uniform", "low": "20s", "high": "30s"},
            "busy_signal": "5s",
        },
        "api": {
            "quotas": {
                "batch_put_contact": {"rate": 10, "burst": 15},
                "put_dial_request_batch": {"rate": 10, "burst": 10},
            },
            "buffer_limit": buffer_limit,
        },
    }


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _children_peak_rss_mb() -> float:
    """Peak RSS of the largest finished child (the background writer, if any)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def child(rows: int, list_path: Path, db: str, buffer_limit: int) -> dict[str, float]:
    from sqlalchemy import func, select

    from sim.domain import EventType
    from sim.runner import run_scenario
    from sim.scenario import parse_scenario
    from sim.store import Store
    from sim.store.schema import events, events_of_types

    scenario = parse_scenario(scenario_dict(rows, list_path, buffer_limit), list_path.parent)
    store = Store(db)
    started = time.perf_counter()
    outcome = run_scenario(scenario, store)
    elapsed = time.perf_counter() - started
    query = select(func.count()).where(
        events.c.run_id == outcome.run_id, events_of_types(EventType.DIAL_REQUEST_DIALED)
    )
    with store.engine.connect() as conn:
        dials = conn.execute(query).scalar_one()
    return {
        "seconds": elapsed,
        "status_ok": float(outcome.status == "COMPLETED"),
        "dials": float(dials),
        "events": float(outcome.events),
        "pending_at_end": float(outcome.pending_at_end),
        "sim_days": (outcome.sim_end - outcome.sim_start) / 86400.0,
        "sim_rss_mb": _peak_rss_mb(),
        "writer_rss_mb": _children_peak_rss_mb(),
        # Both peaks added: counted high (pages shared after fork count twice).
        "rss_mb": _peak_rss_mb() + _children_peak_rss_mb(),
    }


def _command(side: str, rows: int, tmp: Path, buffer_limit: int) -> list[str]:
    return [
        sys.executable,
        __file__,
        "--child",
        side,
        "--rows",
        str(rows),
        "--list",
        str(tmp / f"{side}.csv"),
        "--db",
        str(tmp / f"{side}.db"),
        "--buffer-limit",
        str(buffer_limit),
    ]


def _result(proc: subprocess.Popen[str]) -> dict[str, float]:
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}):\n{err[-3000:]}")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--serial", action="store_true", help="Run the sides one after the other.")
    parser.add_argument(
        "--buffer-limit",
        type=int,
        default=BUFFER_LIMIT,
        help="Pending requests per campaign (api.buffer_limit; default the scenario default,"
        " as scenarios/national_4zones.yaml runs; ROWS: the whole list waits at once).",
    )
    parser.add_argument("--child", choices=["four", "one"], help=argparse.SUPPRESS)
    parser.add_argument("--list", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.rows, Path(args.list), args.db, args.buffer_limit)))
        return
    print(
        f"workload: {args.rows:,} rows, agentless, {lines_for(args.rows)} lines, "
        f"calling hours 09:00-21:00 local every day, buffer limit {args.buffer_limit:,}"
    )
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for side in ("four", "one"):
            write_list(tmp / f"{side}.csv", args.rows, four_zones=side == "four")
        popen = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
        if args.serial:
            for side in ("four", "one"):
                results[side] = _result(
                    subprocess.Popen(_command(side, args.rows, tmp, args.buffer_limit), **popen)
                )
        else:
            procs = {
                s: subprocess.Popen(_command(s, args.rows, tmp, args.buffer_limit), **popen)
                for s in ("four", "one")
            }
            results = {s: _result(p) for s, p in procs.items()}
    for side, label in (("four", "four zones"), ("one", "one zone (212)")):
        r = results[side]
        print(
            f"{label:16s} {r['dials']:>10,.0f} dials {r['events']:>12,.0f} events "
            f"{r['pending_at_end']:>8,.0f} pending at end, {r['sim_days']:.1f} simulated days, "
            f"{r['seconds']:7.1f} s wall; peak {r['rss_mb']:.0f} MB "
            f"(simulation {r['sim_rss_mb']:.0f} + writer {r['writer_rss_mb']:.0f})"
        )
    four, one = results["four"], results["one"]
    print(
        f"rss_mb={four['rss_mb']:.0f} ratio_rss={four['rss_mb'] / one['rss_mb']:.2f} "
        f"dials={four['dials']:.0f}"
    )


if __name__ == "__main__":
    main()

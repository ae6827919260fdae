"""The Erlang C workload through ``sim run``'s full pipeline, against ciw.

    python benchmarks/bench_mmc.py [--requests 200000] [--agents 50] [--repeat 1]

The workload planners and the validation tests use: an M/M/c queue with
arrivals at 45 per minute, one dial request per PutDialRequestBatch call
(so one item per BatchPutContact call), exponential talk of mean 1 minute,
every dial a live answer with no ring time and no after-contact work, and
API quotas raised so nothing throttles. The pipeline side is
``sim.runner.run_scenario`` (what ``sim run`` calls) with the event log and
projections on, writing a fresh SQLite file, its writer chosen as ``sim
run`` chooses it; the reference is the same queue in ciw (no log). Each
side runs in its own child process, so each peak RSS is its own.

Printed: both throughputs (customers per second, wall clock), each side's
CPU seconds, and the pipeline's peak RSS (the simulation process's plus its
background writer's, if it has one). Then the store floor: the rows the run
left in its SQLite file (events, contacts, agent spans, interval KPIs),
inserted again into an empty file of the same schema with plain ``sqlite3``
``executemany`` in transactions of 40,000 rows, nothing else timed. SQLite
takes one writer at a time, so no pipeline that writes this log can beat that
time, and ``cap`` (ciw's time over it) bounds the ratio any implementation
of this store can reach. The last line reads
``ratio=<sim/ciw throughput> rss_mb=<pipeline peak>``.
Targets (issue 14): ratio >= 0.5 at 200,000 requests; rss_mb <= 200, and
flat within 20% from 50,000 to 1,000,000 requests.
ciw is a benchmark-only extra: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

ARRIVALS_PER_MIN = 45.0
TALK_MEAN_S = 60.0
FAST = {"rate": 1e6, "burst": 1000}  # the API never throttles
LIVE_ONLY = {"live_answer": 1, "voicemail": 0, "no_answer": 0, "busy": 0, "invalid_number": 0}


def scenario_dict(requests: int, agents: int) -> dict[str, Any]:
    """The M/M/c workload as a scenario: progressive dialing of single requests."""
    hours = requests / (ARRIVALS_PER_MIN * 60.0)
    return {
        "name": f"mmc-{agents}",
        "seed": 1,
        "start": "2026-01-05T00:00:00+00:00",
        # Long enough for every request to arrive and be served.
        "horizon": f"{int(hours * 1.2) + 24}h",
        "instance": {"queues": ["q"], "concurrent_calls": agents * 4},
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": [{"start": "00:00", "end": "00:00", "agents": agents}],
            }
        ],
        "campaigns": [
            {
                "id": "c",
                "mode": "progressive",
                "queue": "q",
                "answering_machine_detection": False,
                "sources": [
                    {
                        "kind": "poisson",
                        "rate_per_hour": ARRIVALS_PER_MIN * 60.0,
                        "batch_size": 1,
                        "max_requests": requests,
                        "expires_after": "30d",
                    }
                ],
            }
        ],
        "outcomes": LIVE_ONLY,
        "durations": {"ring_to_answer": 0, "talk": {"kind": "exponential", "mean": TALK_MEAN_S}},
        "api": {
            "quotas": {
                name: FAST
                for name in (
                    "batch_put_contact",
                    "put_dial_request_batch",
                    "put_outbound_request_batch",
                )
            },
            "dialer_calls_per_second": 1e6,
            "buffer_limit": requests,
        },
    }


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # KiB on Linux


def child_sim(requests: int, agents: int, db: str) -> dict[str, float]:
    from sim.runner import run_scenario
    from sim.scenario import parse_scenario
    from sim.store import Store

    scenario = parse_scenario(scenario_dict(requests, agents))
    store = Store(db)
    started, cpu_started = time.perf_counter(), time.process_time()
    outcome = run_scenario(scenario, store)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    with store.engine.connect() as conn:
        served = conn.exec_driver_sql(
            "SELECT count(*) FROM contacts WHERE outcome = 'CONNECTED'"
        ).scalar_one()
    store.dispose()
    return {
        "seconds": seconds,
        "customers": float(served),
        "events": float(outcome.events),
        "cpu_s": cpu,
        "writer_cpu_s": children.ru_utime + children.ru_stime,
        "sim_rss_mb": _peak_rss_mb(),
        "writer_rss_mb": _peak_rss_mb(resource.RUSAGE_CHILDREN),
    }


def child_ciw(requests: int, agents: int) -> dict[str, float]:
    import ciw

    started, cpu_started = time.perf_counter(), time.process_time()
    ciw.seed(1)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVALS_PER_MIN)],
        service_distributions=[ciw.dists.Exponential(rate=60.0 / TALK_MEAN_S)],
        number_of_servers=[agents],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_customers(requests, method="Finish")
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    served = len(simulation.get_all_records())
    return {
        "seconds": seconds,
        "customers": float(served),
        "cpu_s": cpu,
        "rss_mb": _peak_rss_mb(),
    }


FLOOR_TABLES = ("events", "contacts", "agent_intervals", "interval_kpis")
FLOOR_CHUNK = 40_000  # rows per transaction, as the background writer commits


def child_floor(db: str, out: str) -> dict[str, float]:
    """CPU and wall seconds to insert the run's rows alone into an empty copy of its schema.

    Rows are read from ``db`` in chunks outside the timed sections; only the
    ``executemany`` and ``COMMIT`` calls are timed. Foreign keys are off and
    the writer's bulk pragmas on, so this is a lower bound on any writer.
    """
    import sqlite3

    from sim.store.background import BULK_PRAGMAS

    source = sqlite3.connect(db)
    target = sqlite3.connect(out, isolation_level=None)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", *BULK_PRAGMAS):
        target.execute(pragma)
    for (ddl,) in source.execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
        " ORDER BY type = 'index', rowid"
    ):
        target.execute(ddl)
    columns = [row[1] for row in source.execute("PRAGMA table_info(runs)")]
    target.executemany(
        f"INSERT INTO runs VALUES ({','.join('?' * len(columns))})",
        source.execute("SELECT * FROM runs"),
    )
    result: dict[str, float] = {"seconds": 0.0, "cpu_s": 0.0}
    for table in FLOOR_TABLES:
        cursor = source.execute(f"SELECT * FROM {table}")
        insert = f"INSERT INTO {table} VALUES ({','.join('?' * len(cursor.description))})"
        seconds = cpu = 0.0
        while rows := cursor.fetchmany(FLOOR_CHUNK):
            started, cpu_started = time.perf_counter(), time.process_time()
            target.execute("BEGIN")
            target.executemany(insert, rows)
            target.execute("COMMIT")
            seconds += time.perf_counter() - started
            cpu += time.process_time() - cpu_started
        result[f"{table}_s"] = seconds
        result["seconds"] += seconds
        result["cpu_s"] += cpu
    return result


def _child(side: str, args: argparse.Namespace, db: Path, *extra: str) -> dict[str, float]:
    command = [
        sys.executable,
        __file__,
        "--child",
        side,
        "--requests",
        str(args.requests),
        "--agents",
        str(args.agents),
        "--db",
        str(db),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{side} side failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _spawn(side: str, args: argparse.Namespace) -> dict[str, float]:
    """One side's run; the pipeline's also measures the store floor of what it wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mmc.db"
        result = _child(side, args, db)
        if side == "sim":
            floor = _child("floor", args, db, "--out", str(Path(tmp) / "floor.db"))
            result.update({f"floor_{key}": value for key, value in floor.items()})
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each side, alternating; the fastest counts."
    )
    parser.add_argument("--child", choices=["sim", "ciw", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "floor":
        print(json.dumps(child_floor(args.db, args.out)))
        return
    if args.child == "sim":
        print(json.dumps(child_sim(args.requests, args.agents, args.db)))
        return
    if args.child == "ciw":
        print(json.dumps(child_ciw(args.requests, args.agents)))
        return
    load = ARRIVALS_PER_MIN * TALK_MEAN_S / 60.0 / args.agents
    print(
        f"workload: M/M/{args.agents}, {args.requests:,} requests, "
        f"{ARRIVALS_PER_MIN:g}/min, talk exp {TALK_MEAN_S:g} s, load {load:.2f}"
    )
    sims, ciws = [], []
    for _ in range(args.repeat):
        ciws.append(_spawn("ciw", args))
        sims.append(_spawn("sim", args))
    ref = min(ciws, key=lambda side: side["seconds"])
    full = min(sims, key=lambda side: side["seconds"])
    rss = full["sim_rss_mb"] + full["writer_rss_mb"]
    ref_rate = ref["customers"] / ref["seconds"]
    full_rate = full["customers"] / full["seconds"]
    print(
        f"ciw (same queue, no log)  {ref['customers']:>10,.0f} customers {ref['seconds']:7.2f} s "
        f"{ref_rate:>9,.0f} customers/s  CPU {ref['cpu_s']:.2f} s  peak {ref['rss_mb']:.0f} MB"
    )
    print(
        f"sim run pipeline          {full['customers']:>10,.0f} customers {full['seconds']:7.2f} s "
        f"{full_rate:>9,.0f} customers/s  CPU {full['cpu_s']:.2f} + {full['writer_cpu_s']:.2f} s"
        f"  {full['events']:,.0f} events"
    )
    print(
        f"{'':26s}peak RSS: simulation process {full['sim_rss_mb']:.0f} MB"
        f" + writer process {full['writer_rss_mb']:.0f} MB"
    )
    cpu_ratio = (full["customers"] / (full["cpu_s"] + full["writer_cpu_s"])) / (
        ref["customers"] / ref["cpu_s"]
    )
    print(f"cpu_ratio={cpu_ratio:.2f} (customers per CPU second, both processes, sim/ciw)")
    floor = min(sims, key=lambda side: side["floor_seconds"])
    parts = ", ".join(f"{table} {floor[f'floor_{table}_s']:.2f} s" for table in FLOOR_TABLES)
    print(
        f"store floor (the rows alone) {floor['floor_seconds']:7.2f} s  CPU "
        f"{floor['floor_cpu_s']:.2f} s  ({parts})"
    )
    print(
        f"cap={ref['seconds'] / floor['floor_seconds']:.2f} (ciw's time over the store floor: "
        "the highest ratio a pipeline writing this log to SQLite can reach)"
    )
    print(f"ratio={full_rate / ref_rate:.2f} rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()

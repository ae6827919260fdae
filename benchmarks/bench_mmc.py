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
background writer's, if it has one). The last line reads
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


def _spawn(side: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
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
            str(Path(tmp) / "mmc.db"),
        ]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{side} side failed:\n{done.stderr}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument(
        "--repeat", type=int, default=1, help="Runs of each side, alternating; the fastest counts."
    )
    parser.add_argument("--child", choices=["sim", "ciw"], help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
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
    print(f"ratio={full_rate / ref_rate:.2f} rss_mb={rss:.0f}")


if __name__ == "__main__":
    main()

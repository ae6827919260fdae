"""Benchmark: synthetic events through ``EventWriter`` into SQLite and PostgreSQL.

Run:  .venv/bin/python benchmarks/bench_store.py [--events 2000000] [--db PATH]
          [--postgres postgresql+psycopg://postgres@127.0.0.1:5432] [--no-postgres]

Prints events/s for the full writer (log + live projections) into a SQLite
file, for the reference of a bare ``executemany`` of the same rows into the
same schema (measured in the same run, so the ratio is machine-independent),
and the peak RSS of the process. Then the same writer into a fresh PostgreSQL
database on the ``--postgres`` server (created and dropped here; appends go
through binary COPY), and the ratio of the two writers' throughputs
(``postgres/sqlite=...``, target >= 0.5). Not a timed test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from random import Random

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.domain import Event
from sim.store import Store

START = 1_767_250_800.0  # 2026-01-01 07:00 UTC
AGENTS = 200
BLOCK = 500  # contacts in flight at once


def _uuid(rng: Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def synthetic(n_events: int, seed: int = 1) -> Iterator[list[Event]]:
    """Blocks of interleaved lifecycles (request, contact, agent, dialer) until ``n_events``."""
    rng = Random(seed)
    made = 0
    block_no = 0
    campaign = "campaign-1"
    yield [
        Event(
            campaign,
            1,
            "CAMPAIGN_CREATED",
            START,
            {"name": "c", "mode": "PROGRESSIVE", "queue_id": "q", "api": "v2"},
        )
    ]
    agent_versions = {f"agent-{a}": 0 for a in range(AGENTS)}
    while made < n_events:
        t0 = START + block_no * 60.0
        block_no += 1
        stages: list[list[Event]] = [[] for _ in range(12)]
        dialer_v = block_no
        stages[0].append(
            Event(
                f"dialer:{campaign}",
                dialer_v,
                "BATCH_PUT_CONTACT_CALLED",
                t0,
                {
                    "campaign_id": campaign,
                    "client_token": _uuid(rng),
                    "items": 25,
                    "succeeded": 25,
                    "failed": 0,
                    "error": None,
                    "attempt": 1,
                },
            )
        )
        for i in range(BLOCK):
            rid, cid = _uuid(rng), _uuid(rng)
            agent = f"agent-{i % AGENTS}"
            t = t0 + i * 0.1
            talk = rng.uniform(30, 300)
            av = agent_versions[agent]
            life = [
                (
                    0,
                    Event(
                        rid,
                        1,
                        "DIAL_REQUEST_ACCEPTED",
                        t,
                        {
                            "campaign_id": campaign,
                            "client_token": "tok",
                            "phone_number": "+15550100",
                            "expiration_time": t + 3600,
                            "api": "v2",
                        },
                    ),
                ),
                (
                    1,
                    Event(
                        cid,
                        1,
                        "INITIATED",
                        t + 1,
                        {
                            "campaign_id": campaign,
                            "request_identifier": rid,
                            "instance_id": "inst",
                            "queue_id": "q",
                            "customer_endpoint": "+15550100",
                            "system_endpoint": "+15550199",
                        },
                    ),
                ),
                (
                    2,
                    Event(
                        rid,
                        2,
                        "DIAL_REQUEST_DIALED",
                        t + 1,
                        {"campaign_id": campaign, "contact_id": cid, "attempt": 1, "waited_s": 1.0},
                    ),
                ),
                (3, Event(cid, 2, "RINGING", t + 1.5, {"agent_id": None})),
                (
                    4,
                    Event(
                        cid, 3, "CONNECTED_TO_SYSTEM", t + 9.25, {"amd_status": "HUMAN_ANSWERED"}
                    ),
                ),
                (5, Event(cid, 4, "QUEUED", t + 9.5, {"queue_id": "q"})),
                (6, Event(cid, 5, "CONNECTED_TO_AGENT", t + 10.0, {"agent_id": agent})),
                (
                    6,
                    Event(
                        agent,
                        av + 1,
                        "STATE_CHANGE",
                        t + 10.0,
                        {"state": "ON_CONTACT", "previous": "AVAILABLE", "contact_id": cid},
                    ),
                ),
                (
                    7,
                    Event(
                        cid,
                        6,
                        "DISCONNECTED",
                        t + 10 + talk,
                        {
                            "disconnect_reason": "CUSTOMER_DISCONNECT",
                            "amd_status": "HUMAN_ANSWERED",
                            "outcome": "CONNECTED",
                        },
                    ),
                ),
                (
                    7,
                    Event(
                        agent,
                        av + 2,
                        "STATE_CHANGE",
                        t + 10 + talk,
                        {
                            "state": "AFTER_CONTACT_WORK",
                            "previous": "ON_CONTACT",
                            "contact_id": cid,
                        },
                    ),
                ),
                (8, Event(cid, 7, "COMPLETED", t + 40 + talk, {"after_contact_work_s": 30.0})),
                (
                    8,
                    Event(
                        agent,
                        av + 3,
                        "STATE_CHANGE",
                        t + 40 + talk,
                        {
                            "state": "AVAILABLE",
                            "previous": "AFTER_CONTACT_WORK",
                            "contact_id": None,
                        },
                    ),
                ),
                (
                    9,
                    Event(
                        rid,
                        3,
                        "DIAL_REQUEST_COMPLETED",
                        t + 40 + talk,
                        {"campaign_id": campaign, "outcome": "CONNECTED", "attempts": 1},
                    ),
                ),
            ]
            agent_versions[agent] = av + 3
            for stage, ev in life:
                stages[stage].append(ev)
        out = [ev for stage in stages for ev in stage]
        made += len(out)
        yield out


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bench_writer(db: Path | str, n_events: int) -> tuple[int, float]:
    store = Store(db)
    run_id = store.begin_run(name="bench", scenario={}, seed=1, version="bench", sim_start=START)
    writer = store.writer(run_id, 900.0)
    gen_s = 0.0
    t_start = time.perf_counter()
    blocks = synthetic(n_events)
    while True:
        g0 = time.perf_counter()
        block = next(blocks, None)
        gen_s += time.perf_counter() - g0
        if block is None:
            break
        writer.append(block)
    count = writer.close(START + 86400.0)
    elapsed = time.perf_counter() - t_start - gen_s
    store.finish_run(
        run_id,
        status="completed",
        error=None,
        sim_end=START + 86400.0,
        runtime_s=elapsed,
        events=count,
    )
    store.dispose()
    return count, elapsed


def bench_reference(db: Path, n_events: int) -> tuple[int, float]:
    """Bare sqlite3 executemany of the event rows into the same (already created) schema."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "INSERT INTO runs (name, scenario, seed, version, status, started_at, sim_start,"
        " events) VALUES ('ref', '{}', 1, 'ref', 'running', 'now', 0, 0)"
    )
    run_id = conn.execute("SELECT max(id) FROM runs").fetchone()[0]
    conn.commit()
    sql = (
        "INSERT INTO events (run_id, stream_no, stream_id, version, type, time, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    numbers: dict[str, int] = {}
    count, elapsed = 0, 0.0
    for block in synthetic(n_events):
        t0 = time.perf_counter()
        conn.executemany(
            sql,
            [
                (
                    run_id,
                    numbers.setdefault(e[0], len(numbers) + 1),
                    e[0],
                    e[1],
                    e[2],
                    e[3],
                    orjson.dumps(e[4]).decode(),
                )
                for e in block
            ],
        )
        conn.commit()
        elapsed += time.perf_counter() - t0
        count += len(block)
    conn.close()
    return count, elapsed


def bench_postgres(server: str, n_events: int) -> tuple[int, float] | str:
    """(events, seconds) of the writer into a fresh database on ``server``, or why not."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server)
    params = {"host": url.host, "port": url.port or 5432, "user": url.username}
    params |= {"password": url.password, "dbname": "postgres", "autocommit": True}
    name = f"sim_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(**params, connect_timeout=3) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        return f"skipped: {server} not reachable ({type(error).__name__})"
    try:
        return bench_writer(f"{server}/{name}", n_events)
    finally:
        with psycopg.connect(**params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument(
        "--db", type=Path, default=None, help="database file (default: a temp file)"
    )
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL (without a database: one is created and dropped)",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        rss0 = _peak_rss_mb()
        n, secs = bench_writer(db, args.events)
        rss_writer = _peak_rss_mb()
        rate = n / secs
        print(f"EventWriter : {n:>9,} events in {secs:6.2f} s = {rate:>9,.0f} events/s")
        rn, rsecs = bench_reference(db, args.events)
        ref = rn / rsecs
        print(
            f"reference   : {rn:>9,} events in {rsecs:6.2f} s = {ref:>9,.0f} events/s "
            "(bare executemany, no projections)"
        )
        print(f"ratio       : {rate / ref:.2f} of reference")
        print(
            f"peak RSS    : {rss_writer:.0f} MB after writer (started at {rss0:.0f} MB);"
            f" file {os.path.getsize(db) / 1e6:.0f} MB"
        )
    if args.no_postgres:
        return
    measured = bench_postgres(args.postgres, args.events)
    if isinstance(measured, str):
        print(f"PostgreSQL  : {measured}")
        return
    pn, psecs = measured
    pg_rate = pn / psecs
    print(f"PostgreSQL  : {pn:>9,} events in {psecs:6.2f} s = {pg_rate:>9,.0f} events/s (COPY)")
    print(f"SQLite      : {n:>9,} events in {secs:6.2f} s = {rate:>9,.0f} events/s")
    print(f"postgres/sqlite={pg_rate / rate:.2f}")


if __name__ == "__main__":
    main()

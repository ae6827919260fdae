"""The floor: a bare SimPy model of the benchmark workload, written the obvious way.

Each dial request is a SimPy process queueing on a ``simpy.Resource`` of
agents; every state change the full pipeline records (the same event types,
the same count per contact) is appended to one in-memory list, and written
to SQLite at the end with raw ``sqlite3.executemany``. No API validation, no
idempotency, no projections: this is what the simulation costs with nothing
else in the way.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import simpy


@dataclass(frozen=True)
class Workload:
    requests: int = 1_000_000
    batch_size: int = 25
    agents: int = 2000
    live_answer: float = 0.35
    ring_mean_s: float = 20.0
    ring_timeout_s: float = 60.0
    talk_mean_s: float = 180.0
    acw_mean_s: float = 30.0
    load: float = 0.9

    def agent_seconds_per_dial(self) -> float:
        """Mean agent time one progressive dial holds (reserved while it rings)."""
        import math

        p_answer_in_time = 1.0 - math.exp(-self.ring_timeout_s / self.ring_mean_s)
        ring_live = self.ring_mean_s * p_answer_in_time
        live = ring_live + p_answer_in_time * (self.talk_mean_s + self.acw_mean_s)
        return self.live_answer * live + (1.0 - self.live_answer) * self.ring_timeout_s

    def dial_rate(self) -> float:
        """Dials per second that offer ``load`` of the agents' capacity."""
        return self.load * self.agents / self.agent_seconds_per_dial()


def run_floor(workload: Workload, db_path: str, seed: int = 1) -> int:
    """Simulate the workload as plain SimPy processes; return the events written."""
    rng = random.Random(seed)
    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=workload.agents)
    log: list[tuple[str, int, str, float, str]] = []
    batch_rate = workload.dial_rate() / workload.batch_size

    def emit(stream: str, version: int, type_: str, payload: dict[str, object]) -> None:
        log.append((stream, version, type_, env.now, json.dumps(payload)))

    def contact(request_id: str) -> Iterator[simpy.Event]:
        accepted = env.now
        emit(request_id, 1, "DIAL_REQUEST_ACCEPTED", {"phone_number": "+12025550100"})
        with agents.request() as slot:
            yield slot
            contact_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            emit(contact_id, 1, "INITIATED", {"request_identifier": request_id})
            emit(request_id, 2, "DIAL_REQUEST_DIALED", {"waited_s": env.now - accepted})
            emit("agent", 0, "STATE_CHANGE", {"state": "RESERVED"})
            emit(contact_id, 2, "RINGING", {})
            ring = rng.expovariate(1.0 / workload.ring_mean_s)
            live = rng.random() < workload.live_answer
            version = 2
            if live and ring < workload.ring_timeout_s:
                yield env.timeout(ring)
                for type_ in ("CONNECTED_TO_SYSTEM", "QUEUED", "CONNECTED_TO_AGENT"):
                    version += 1
                    emit(contact_id, version, type_, {})
                emit("agent", 0, "STATE_CHANGE", {"state": "ON_CONTACT"})
                yield env.timeout(rng.expovariate(1.0 / workload.talk_mean_s))
                emit(contact_id, version + 1, "DISCONNECTED", {"outcome": "CONNECTED"})
                emit("agent", 0, "STATE_CHANGE", {"state": "AFTER_CONTACT_WORK"})
                yield env.timeout(rng.expovariate(1.0 / workload.acw_mean_s))
            else:
                yield env.timeout(workload.ring_timeout_s)
                emit(contact_id, version + 1, "DISCONNECTED", {"outcome": "NO_ANSWER"})
            emit(contact_id, version + 2, "COMPLETED", {})
            emit("agent", 0, "STATE_CHANGE", {"state": "AVAILABLE"})
            emit(request_id, 3, "DIAL_REQUEST_COMPLETED", {})

    def arrivals() -> Iterator[simpy.Event]:
        made = 0
        while made < workload.requests:
            yield env.timeout(rng.expovariate(batch_rate))
            for _ in range(min(workload.batch_size, workload.requests - made)):
                made += 1
                env.process(contact(f"r{made}"))

    env.process(arrivals())
    env.run()
    connection = sqlite3.connect(db_path)
    connection.execute(
        "CREATE TABLE events (position INTEGER PRIMARY KEY, stream_id TEXT, version INT,"
        " type TEXT, time REAL, payload TEXT)"
    )
    with connection:
        connection.executemany(
            "INSERT INTO events (stream_id, version, type, time, payload) VALUES (?,?,?,?,?)",
            log,
        )
    connection.close()
    return len(log)

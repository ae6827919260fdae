"""Wires one run: scenario -> core + engine -> buffered event sink -> store.

Every run gets a row in ``runs`` before the first event, holding the fully
resolved scenario, the seed and the package version; it ends ``completed``
or ``failed`` with its error, and the events recorded before a failure stay.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim import __version__
from sim.connect import CoreConfig, Faults, OutboundCore, Quota, Quotas
from sim.engine import Emitter, Model
from sim.scenario import (
    PiecewiseSource,
    PoissonSource,
    Scenario,
    ScheduleSource,
    Source,
    resolved_dict,
)
from sim.store import EventWriter, Store
from sim.store.background import BackgroundWriter, bulk_collector

# A scenario expected to submit at least this many dial requests gets the
# background writer under writer="auto": below it, the process start and the
# pipe cost more than the overlap saves.
PROCESS_WRITER_MIN_REQUESTS = 50_000
WRITERS = ("auto", "process", "inline")


@dataclass(frozen=True)
class RunOutcome:
    """What a run left in the store."""

    run_id: int
    status: str
    error: str | None
    events: int
    sim_start: float
    sim_end: float
    runtime_s: float
    pending_at_end: int


class RunFailed(Exception):
    """The model raised; the run is recorded as failed with this error."""

    def __init__(self, outcome: RunOutcome) -> None:
        super().__init__(outcome.error)
        self.outcome = outcome


def core_config(scenario: Scenario) -> CoreConfig:
    """The connect core's configuration for a scenario's instance and API settings."""
    api = scenario.api
    quotas = api.quotas
    return CoreConfig(
        instance_id=scenario.instance.id,
        queues=tuple(scenario.instance.queues),
        phone_numbers=tuple(scenario.instance.phone_numbers),
        quotas=Quotas(
            batch_put_contact=Quota(
                rate=quotas.batch_put_contact.rate, burst=quotas.batch_put_contact.burst
            ),
            put_dial_request_batch=Quota(
                rate=quotas.put_dial_request_batch.rate, burst=quotas.put_dial_request_batch.burst
            ),
            put_outbound_request_batch=Quota(
                rate=quotas.put_outbound_request_batch.rate,
                burst=quotas.put_outbound_request_batch.burst,
            ),
        ),
        faults=Faults(
            request_error_probability=api.faults.request_error_probability,
            item_error_probability=api.faults.item_error_probability,
        ),
        idempotency_retention_s=api.idempotency_retention,
        buffer_limit=api.buffer_limit,
    )


def run_scenario(
    scenario: Scenario,
    store: Store,
    *,
    seed: int | None = None,
    progress: Callable[[float], None] | None = None,
    sweep: str | None = None,
    point: Mapping[str, Any] | None = None,
    replication: int | None = None,
    writer: str = "auto",
) -> RunOutcome:
    """Simulate ``scenario`` once and record it in ``store``.

    ``writer`` picks who writes the log and projections: "inline" (this
    process, between simulation steps), "process" (a background writer
    process, see ``sim.store.background``) or "auto" (the process writer for
    big runs, see ``choose_writer``). Both write identical tables.
    Raises RunFailed (after recording the failure) if the model raises.
    """
    if writer not in WRITERS:
        raise ValueError(f"writer must be one of {', '.join(WRITERS)}, got {writer!r}")
    seed = scenario.seed if seed is None else seed
    resolved = resolved_dict(scenario)
    resolved["seed"] = seed
    started = time.perf_counter()
    sim_start = scenario.start.timestamp()
    run_id = store.begin_run(
        name=scenario.name,
        scenario=resolved,
        seed=seed,
        version=__version__,
        sim_start=sim_start,
        sweep=sweep,
        point=dict(point) if point is not None else None,
        replication=replication,
    )
    sink = _open_writer(store, run_id, scenario, choose_writer(scenario, store, writer))
    emitter = Emitter(sink)
    rng = random.Random(seed)
    try:
        with bulk_collector():
            core = OutboundCore(core_config(scenario), rng, emitter)
            model = Model(scenario, rng, emitter, core)
            result = model.run(progress)
            sink.close(result.sim_end)
    except Exception as error:  # any model failure is recorded, then re-raised
        outcome = _fail(store, run_id, sink, emitter, error, started, sim_start)
        raise RunFailed(outcome) from error
    runtime = time.perf_counter() - started
    store.finish_run(
        run_id,
        status="completed",
        error=None,
        sim_end=result.sim_end,
        runtime_s=runtime,
        events=result.events,
    )
    return RunOutcome(
        run_id,
        "completed",
        None,
        result.events,
        result.sim_start,
        result.sim_end,
        runtime,
        result.pending_at_end,
    )


def estimated_requests(scenario: Scenario) -> float:
    """A rough count of the dial requests the scenario's sources will submit."""
    return sum(_source_requests(scenario, s) for c in scenario.campaigns for s in c.sources)


def _source_requests(scenario: Scenario, source: Source) -> float:
    if isinstance(source, ScheduleSource):
        return float(sum(b.count for b in source.batches))
    if isinstance(source, PoissonSource):
        end = scenario.horizon if source.end is None else min(source.end, scenario.horizon)
        n = source.rate_per_hour * max(0.0, end - source.start) / 3600.0 * source.batch_size
        return n if source.max_requests is None else min(n, float(source.max_requests))
    if isinstance(source, PiecewiseSource):
        peak = max(w.rate_per_hour for w in source.rates)
        return peak * scenario.horizon / 3600.0 * source.batch_size
    with source.path.open("rb") as handle:  # csv: one request a line
        return float(max(0, sum(1 for _ in handle) - 1))


def choose_writer(scenario: Scenario, store: Store, writer: str = "auto") -> str:
    """Which writer ("inline" or "process") a run of ``scenario`` into ``store`` gets.

    "auto" takes the process writer when the scenario is expected to submit
    at least ``PROCESS_WRITER_MIN_REQUESTS`` requests, the store is a file
    (an in-memory database cannot be shared), there are two cores or more,
    and this process may have children (a daemonic pool worker may not).
    """
    if writer != "auto":
        return writer
    if (
        store.name == ":memory:"
        or (os.cpu_count() or 1) < 2
        or multiprocessing.current_process().daemon
    ):
        return "inline"
    big = estimated_requests(scenario) >= PROCESS_WRITER_MIN_REQUESTS
    return "process" if big else "inline"


def _open_writer(
    store: Store, run_id: int, scenario: Scenario, kind: str
) -> EventWriter | BackgroundWriter:
    if kind == "process":
        return BackgroundWriter(store, run_id, scenario.interval)
    return store.writer(run_id, scenario.interval)


def _fail(
    store: Store,
    run_id: int,
    writer: Any,
    emitter: Emitter,
    error: BaseException,
    started: float,
    sim_start: float,
) -> RunOutcome:
    """Keep what was recorded, mark the run failed with its error."""
    message = "".join(traceback.format_exception_only(type(error), error)).strip()
    detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    sim_end = sim_start
    try:
        emitter.flush()
        # How far the run got: the last event recorded, so the projections of a
        # failed run end where its log ends.
        sim_end = max(sim_start, emitter.last_time or sim_start)
        writer.close(sim_end)
    except Exception:  # the original error matters more
        detail += "\n(while flushing events: " + traceback.format_exc() + ")"
    runtime = time.perf_counter() - started
    store.finish_run(
        run_id,
        status="failed",
        error=detail,
        sim_end=sim_end,
        runtime_s=runtime,
        events=emitter.count,
    )
    return RunOutcome(run_id, "failed", message, emitter.count, sim_start, sim_end, runtime, 0)

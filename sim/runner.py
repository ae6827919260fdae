"""Wires one run: scenario -> core + engine -> buffered event sink -> store.

Every run gets a row in ``runs`` before the first event, holding the fully
resolved scenario, the seed and the package version; it ends ``completed``
or ``failed`` with its error, and the events recorded before a failure stay.
"""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sim import __version__
from sim.connect import CoreConfig, Faults, OutboundCore, Quota, Quotas
from sim.engine import Emitter, Model
from sim.scenario import Scenario, resolved_dict
from sim.store import Store


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
) -> RunOutcome:
    """Simulate ``scenario`` once and record it in ``store``.

    Raises RunFailed (after recording the failure) if the model raises.
    """
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
    writer = store.writer(run_id, scenario.interval)
    emitter = Emitter(writer)
    rng = random.Random(seed)
    try:
        core = OutboundCore(core_config(scenario), rng, emitter)
        model = Model(scenario, rng, emitter, core)
        result = model.run(progress)
        writer.close(result.sim_end)
    except Exception as error:  # noqa: BLE001 - any model failure is recorded, then re-raised
        outcome = _fail(store, run_id, writer, emitter, error, started, sim_start)
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
        sim_end = max(sim_start, getattr(writer, "last_time", sim_start))
        writer.close(sim_end)
    except Exception:  # noqa: BLE001 - the original error matters more
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

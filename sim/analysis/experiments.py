"""Replications and sweeps: many seeded runs of one scenario, and their confidence intervals.

Each run is a Dask task (``sim.analysis.fanout``): on a LocalCluster sized to
the machine by default, or on an existing cluster. Replication ``i`` uses seed
``base_seed + i``; in a sweep every point uses the same seeds (common random
numbers), so differences between points are not drowned in seed noise.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from sqlalchemy import Connection, func, select

from sim.analysis.fanout import Cluster, ProgressFn, Task, execute, using_cluster
from sim.analysis.grid import grid_points
from sim.analysis.summary import run_summary
from sim.domain import EventType
from sim.scenario import Scenario, apply_overrides, parse_scenario, resolved_dict
from sim.store import Store
from sim.store.schema import (
    ALL_CAMPAIGNS,
    contacts,
    events,
    events_of_types,
    interval_kpis,
    runs,
)

if TYPE_CHECKING:
    from sim.analysis.stats import CI

__all__ = [
    "STEADY_STATE_KPIS",
    "ProgressFn",
    "format_replication_table",
    "format_sweep_table",
    "new_sweep_id",
    "replication_report",
    "run_kpis",
    "run_point",
    "run_replications",
    "run_sweep",
    "sweep_report",
    "sweep_runs",
]

# KPIs recomputed after the warm-up; every other KPI covers the whole run.
STEADY_STATE_KPIS = (
    "agent_occupancy",
    "agent_utilisation",
    "abandonment_rate",
    "wait_to_dial_mean_s",
    "wait_to_dial_p90_s",
    "wait_to_dial_probability",
    "expired_share",
    "queue_wait_mean_s",
)
_NOT_KPIS = frozenset({"run_id", "seed"})
_WAITED_EPS = 1e-9  # waited_s above this counts as having waited


# --------------------------------------------------------------------------- replications


def _sweep_id(scenario: Scenario) -> str:
    return f"{scenario.name}-{uuid.uuid4().hex[:10]}"


def run_replications(
    scenario: Scenario,
    store: Store,
    k: int,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: Cluster | None = None,
    base_seed: int | None = None,
    progress: ProgressFn | None = None,
) -> list[int]:
    """Simulate ``k`` replications (seed ``base_seed + i``); their run ids, in order.

    The runs share a fresh sweep id (point ``{}``) and carry their index in
    ``replication``, so reports can find them together. ``base_seed``
    defaults to the scenario's seed. Failed runs are recorded, not raised.
    Each run is a Dask task on ``cluster``, else on ``scheduler`` (or
    ``SIM_DASK_SCHEDULER``), else on a LocalCluster of ``workers`` processes
    (default: one per core) started for the call.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    base = scenario.seed if base_seed is None else base_seed
    data, sweep = resolved_dict(scenario), _sweep_id(scenario)
    tasks = [Task(data, base + i, sweep, {}, i) for i in range(k)]
    with using_cluster(cluster, workers, scheduler, len(tasks)) as active:
        return execute(tasks, store, active, progress)


def _cutoff_kpis(conn: Connection, run_id: int, cutoff: float) -> dict[str, float | None]:
    """The steady-state KPIs over what started at or after ``cutoff`` (POSIX s)."""
    k = interval_kpis.c
    busy, reserved, logged = conn.execute(
        select(
            func.sum(k.on_contact_s + k.acw_s), func.sum(k.reserved_s), func.sum(k.logged_in_s)
        ).where(k.run_id == run_id, k.campaign_id == ALL_CAMPAIGNS, k.interval_start >= cutoff)
    ).one()
    c = contacts.c
    live = conn.execute(
        select(c.outcome, func.count(), func.avg(c.queue_wait_s))
        .where(c.run_id == run_id, c.outcome.in_(("CONNECTED", "ABANDONED")))
        .where(c.initiation_timestamp >= cutoff)
        .group_by(c.outcome)
    ).all()
    counts = {o: n for o, n, _ in live}
    answered = sum(counts.values())
    queue_wait = sum(n * (w or 0.0) for _, n, w in live) / answered if answered else None
    waits = _first_waits(conn, run_id, cutoff)
    accepted, expired = _expiry_counts(conn, run_id, cutoff)
    return {
        "agent_occupancy": busy / logged if logged else None,
        "agent_utilisation": (busy + reserved) / logged if logged else None,
        "abandonment_rate": counts.get("ABANDONED", 0) / answered if answered else None,
        "wait_to_dial_mean_s": float(waits.mean()) if waits.size else None,
        "wait_to_dial_p90_s": float(np.percentile(waits, 90)) if waits.size else None,
        "wait_to_dial_probability": float((waits > _WAITED_EPS).mean()) if waits.size else None,
        "expired_share": expired / accepted if accepted else None,
        "queue_wait_mean_s": queue_wait,
    }


def _first_waits(conn: Connection, run_id: int, cutoff: float) -> np.ndarray[Any, Any]:
    """waited_s of first dial attempts of requests accepted at or after ``cutoff``."""
    query = select(events.c.time, events.c.payload).where(
        events.c.run_id == run_id, events_of_types(EventType.DIAL_REQUEST_DIALED)
    )
    waits = []
    for t, payload in conn.execute(query):
        p = orjson.loads(payload)
        if p.get("attempt") == 1 and t - p["waited_s"] >= cutoff:
            waits.append(float(p["waited_s"]))
    return np.asarray(waits, dtype=float)


def _expiry_counts(conn: Connection, run_id: int, cutoff: float) -> tuple[int, int]:
    """(requests accepted at or after ``cutoff``, how many of them ended EXPIRED)."""
    accepted = (
        select(events.c.stream_id)
        .where(events.c.run_id == run_id, events_of_types(EventType.DIAL_REQUEST_ACCEPTED))
        .where(events.c.time >= cutoff)
    )
    n_accepted = conn.execute(select(func.count()).select_from(accepted.subquery())).scalar()
    n_expired = conn.execute(
        select(func.count()).where(
            events.c.run_id == run_id,
            events_of_types(EventType.DIAL_REQUEST_EXPIRED),
            events.c.stream_id.in_(accepted),
        )
    ).scalar()
    return int(n_accepted or 0), int(n_expired or 0)


def run_kpis(store: Store, run_id: int, warmup_s: float = 0.0) -> dict[str, float | None]:
    """One run's numeric KPIs: ``run_summary``'s, plus the steady-state set.

    The keys of ``STEADY_STATE_KPIS`` count only what started at or after
    ``sim_start + warmup_s`` (agent time: intervals starting then or later;
    abandonment and queue wait: contacts initiated then or later; waits to
    dial and expiry: requests accepted then or later). Everything else is
    over the whole run.
    """
    if warmup_s < 0:
        raise ValueError(f"warmup_s must be >= 0, got {warmup_s}")
    summary = run_summary(store, run_id).as_dict()
    out: dict[str, float | None] = {
        key: None if value is None else float(value)
        for key, value in summary.items()
        if key not in _NOT_KPIS and (value is None or isinstance(value, int | float))
    }
    info = store.run(run_id)
    with store.engine.connect() as conn:
        out.update(_cutoff_kpis(conn, run_id, info.sim_start + warmup_s))
    return out


def _ci_dict(ci: CI) -> dict[str, float]:
    return {k: v for k, v in dataclasses.asdict(ci).items() if k != "confidence"}


def replication_report(
    store: Store, run_ids: Sequence[int], warmup_s: float = 0.0, confidence: float = 0.95
) -> dict[str, Any]:
    """Each KPI's mean and Student t interval over the completed runs of ``run_ids``.

    Returns ``{"scenario", "runs", "failed", "seeds", "warmup_s", "confidence",
    "steady_state", "kpis": {name: {mean, half_width, low, high, n, sd}},
    "analytic": [{kpi, analytic, simulated, low, high}] | None}``. Failed
    runs are listed and left out of the intervals. ``analytic`` is filled
    when the scenario fits an analytic model (``analytic_comparison``).
    """
    # Imported here: scipy costs seconds to import, and worker processes,
    # which import this module to simulate, never need it.
    from sim.analysis.analytic import analytic_comparison
    from sim.analysis.stats import replicate_summary

    infos = [store.run(rid) for rid in run_ids]
    done = [i for i in infos if i.status == "completed"]
    per_run = [run_kpis(store, i.id, warmup_s) for i in done]
    cis = replicate_summary(per_run, confidence=confidence) if per_run else {}
    analytic = None
    if done:
        scenario = parse_scenario(done[0].scenario)
        rows = analytic_comparison(scenario, {k: ci.mean for k, ci in cis.items()})
        if rows is not None:
            analytic = [
                {"kpi": n, "analytic": a, "simulated": s, "low": cis[n].low, "high": cis[n].high}
                for n, a, s in rows
            ]
    return {
        "scenario": infos[0].name if infos else None,
        "runs": [i.id for i in done],
        "failed": [i.id for i in infos if i.status != "completed"],
        "seeds": [i.seed for i in done],
        "warmup_s": warmup_s,
        "confidence": confidence,
        "steady_state": list(STEADY_STATE_KPIS),
        "kpis": {name: _ci_dict(ci) for name, ci in cis.items()},
        "analytic": analytic,
    }


def _num(value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def format_replication_table(report: Mapping[str, Any]) -> str:
    """The report as an aligned text table: KPI, mean, +-, CI low and high, n."""
    level = round(100 * report["confidence"])
    head = [
        f"{report['scenario']}: {len(report['runs'])} replications"
        + (f", {len(report['failed'])} failed" if report["failed"] else "")
        + (f", warm-up {report['warmup_s']:g}s (steady-state: *)" if report["warmup_s"] else ""),
    ]
    rows = [["kpi", "mean", "+-", f"{level}% low", f"{level}% high", "n"]]
    for name, ci in report["kpis"].items():
        mark = "*" if report["warmup_s"] and name in report["steady_state"] else ""
        cells = [ci["mean"], ci["half_width"], ci["low"], ci["high"]]
        rows.append([name + mark, *(_num(v) for v in cells), str(ci["n"])])
    lines = head + _align(rows)
    if report.get("analytic"):
        lines += ["", "analytic model vs simulation:"]
        table = [["kpi", "analytic", "simulated", "in CI"]]
        for row in report["analytic"]:
            inside = row["low"] <= row["analytic"] <= row["high"]
            cells = [row["analytic"], row["simulated"]]
            table.append([row["kpi"], *(_num(v) for v in cells), "yes" if inside else "no"])
        lines += _align(table)
    return "\n".join(lines)


def _align(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            [f"{r[0]:<{widths[0]}}", *(f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True))]
        )
        for r in rows
    ]


# --------------------------------------------------------------------------- sweeps


def _point_tasks(
    scenario: Scenario, point: dict[str, Any], k: int, sweep: str, base_seed: int
) -> list[Task]:
    data = resolved_dict(apply_overrides(scenario, point) if point else scenario)
    return [Task(data, base_seed + i, sweep, point, i) for i in range(k)]


def run_point(
    scenario: Scenario,
    store: Store,
    point: Mapping[str, Any],
    k: int,
    *,
    cluster: Cluster,
    sweep: str,
    base_seed: int | None = None,
    progress: ProgressFn | None = None,
) -> list[int]:
    """``k`` replications of ``scenario`` with ``point`` applied, on ``cluster``; run ids."""
    base = scenario.seed if base_seed is None else base_seed
    return execute(_point_tasks(scenario, dict(point), k, sweep, base), store, cluster, progress)


def new_sweep_id(scenario: Scenario) -> str:
    """A fresh sweep id: the scenario name and a random suffix."""
    return _sweep_id(scenario)


def run_sweep(
    scenario: Scenario,
    store_url: str,
    varies: Sequence[tuple[str, Sequence[Any]]],
    k: int,
    workers: int | None = None,
    progress: ProgressFn | None = None,
    *,
    base_seed: int | None = None,
    scheduler: str | None = None,
    cluster: Cluster | None = None,
    deliver: str | None = None,
) -> str:
    """Simulate ``k`` replications at every point of the grid; the sweep id.

    Points are the cartesian product of ``varies`` (see ``grid.parse_vary``),
    each applied with ``apply_overrides`` (an invalid point raises
    ``ScenarioError`` before anything runs). Replication ``i`` of every point
    uses seed ``base_seed + i`` (default: the scenario's seed). Every run is a
    Dask task, placed as ``run_replications`` says; ``deliver`` forces how runs
    reach the store ('direct' or 'ship', see ``fanout.delivery``).
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    base = scenario.seed if base_seed is None else base_seed
    sweep = _sweep_id(scenario)
    tasks = [t for p in grid_points(varies) for t in _point_tasks(scenario, p, k, sweep, base)]
    store = Store(store_url)
    try:
        with using_cluster(cluster, workers, scheduler, len(tasks)) as active:
            execute(tasks, store, active, progress, deliver=deliver)
    finally:
        store.dispose()
    return sweep


def sweep_runs(store: Store, sweep_id: str) -> list[tuple[dict[str, Any], list[int]]]:
    """(point overrides, run ids) per point of a sweep: points in the order of their
    first replication's run id (the grid order), runs in replication order."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.id, runs.c.point)
            .where(runs.c.sweep == sweep_id)
            .order_by(runs.c.replication, runs.c.id)
        ).all()
    if not rows:
        raise ValueError(f"no runs with sweep id {sweep_id!r} in {store.name}")
    groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for run_id, point in rows:
        key = point or "{}"
        groups.setdefault(key, (orjson.loads(key), []))[1].append(run_id)
    return list(groups.values())


def sweep_ids(store: Store) -> list[str]:
    """The sweeps recorded in ``store``, the most recent last."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(runs.c.sweep, func.max(runs.c.id))
            .where(runs.c.sweep.is_not(None))
            .group_by(runs.c.sweep)
            .order_by(func.max(runs.c.id))
        ).all()
    return [str(sweep) for sweep, _ in rows]


def sweep_report(
    store: Store, sweep_id: str, warmup_s: float = 0.0, confidence: float = 0.95
) -> list[dict[str, Any]]:
    """Per point: ``{"point": overrides, **replication_report(...)}``, in run order."""
    return [
        {"point": point, **replication_report(store, ids, warmup_s, confidence)}
        for point, ids in sweep_runs(store, sweep_id)
    ]


DEFAULT_SWEEP_KPIS = ("list_completion_s", "agent_occupancy", "abandonment_rate")


def format_sweep_table(report: Sequence[Mapping[str, Any]], kpis: Sequence[str] = ()) -> str:
    """One row per point: the varied values, then ``mean +- half-width`` per KPI."""
    chosen = list(kpis) or list(DEFAULT_SWEEP_KPIS)
    paths = list(report[0]["point"]) if report else []
    rows = [[*paths, *chosen, "n"]]
    for entry in report:
        cells = [str(entry["point"].get(p)) for p in paths]
        for name in chosen:
            ci = entry["kpis"].get(name)
            ok = ci is not None and not math.isnan(ci["mean"])
            cells.append(f"{_num(ci['mean'])} +- {_num(ci['half_width'])}" if ok else "-")
        cells.append(str(len(entry["runs"])))
        rows.append(cells)
    return "\n".join(_align(rows))

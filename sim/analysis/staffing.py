"""Find the fewest agents that clear a list by a deadline within an abandonment limit.

A *probe* simulates ``k`` replications at one headcount (every shift of the
chosen group set to that many agents; common seeds across probes). It
**passes** when, over its replications,

1. every run completed and finished its list: every accepted request reached
   a terminal event (completed, expired or failed) and none expired;
2. the upper bound of the confidence interval of ``list_completion_s`` (the
   last dial, expiry or failure, from the start) is at most ``deadline_s``;
3. the upper bound of the interval of ``abandonment_rate`` is at most
   ``max_abandonment`` (a run without live answers counts as missing).

The search brackets (doubling from ``low``) and then bisects, assuming more
agents never hurt, so it costs about ``2 log2(answer)`` probes instead of one
per headcount.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sim.analysis.experiments import new_sweep_id, run_kpis, run_point
from sim.analysis.fanout import Cluster, using_cluster
from sim.analysis.stats import CI, mean_ci
from sim.domain import EventType
from sim.scenario import Scenario, resolved_dict
from sim.scenario.overrides import parse_path
from sim.store import Store
from sim.store.schema import events, events_of_types

__all__ = ["MAX_AGENTS", "Probe", "StaffingResult", "find_staffing", "staffing_overrides"]

MAX_AGENTS = 10_000
_TERMINAL = (
    EventType.DIAL_REQUEST_COMPLETED,
    EventType.DIAL_REQUEST_EXPIRED,
    EventType.DIAL_REQUEST_FAILED,
)


@dataclass(frozen=True)
class Probe:
    """``k`` replications at one headcount, and whether they met the targets."""

    agents: int
    passed: bool
    list_completion_s: CI
    abandonment_rate: CI
    unfinished_runs: int
    run_ids: tuple[int, ...]
    reasons: tuple[str, ...] = ()

    def describe(self) -> str:
        """One line: headcount, verdict, the two intervals' upper bounds, reasons."""
        verdict = "meets" if self.passed else "fails"
        done = _bound(self.list_completion_s.high, "s")
        aband = _bound(self.abandonment_rate.high, "")
        why = f" ({'; '.join(self.reasons)})" if self.reasons else ""
        return f"{self.agents:>5} agents: {verdict}; completion <= {done}, abandon <= {aband}{why}"


@dataclass(frozen=True)
class StaffingResult:
    """The answer (None if nothing up to the cap works), every probe and why."""

    agents: int | None
    probes: tuple[Probe, ...]
    explanation: str
    sweep_id: str
    store_url: str | None = None
    targets: dict[str, float] = field(default_factory=dict)


def _bound(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    return "inf" if math.isinf(value) else f"{value:,.4g}{unit}"


def staffing_overrides(scenario: Scenario, group_path: str, agents: int) -> dict[str, int]:
    """Overrides setting every shift under ``group_path`` to ``agents``.

    Raises:
        ValueError: ``group_path`` is not a list of shifts in the scenario.
    """
    node: Any = resolved_dict(scenario)
    for step in parse_path(group_path):
        ok = isinstance(node, list) if isinstance(step, int) else isinstance(node, dict)
        if (
            not ok
            or (isinstance(step, int) and step >= len(node))
            or (isinstance(step, str) and step not in node)
        ):
            raise ValueError(f"{group_path}: no such list of shifts in the scenario")
        node = node[step]
    if not isinstance(node, list) or not node or not all("agents" in s for s in node):
        raise ValueError(f"{group_path}: expected a non-empty list of shifts with 'agents'")
    return {f"{group_path}[{i}].agents": agents for i in range(len(node))}


def _unfinished(store: Store, run_id: int) -> int:
    """Accepted requests without a terminal event."""
    with store.engine.connect() as conn:

        def count(types: tuple[str, ...]) -> int:
            query = select(func.count()).where(events.c.run_id == run_id, events_of_types(*types))
            return int(conn.execute(query).scalar() or 0)

        return count((EventType.DIAL_REQUEST_ACCEPTED,)) - count(_TERMINAL)


class _Search:
    """Runs and judges probes; remembers each so no headcount is simulated twice."""

    def __init__(self, scenario: Scenario, store: Store, cluster: Cluster, **settings: Any) -> None:
        self.scenario, self.store, self.cluster = scenario, store, cluster
        self.s = settings
        self.sweep = new_sweep_id(scenario)
        self.probes: dict[int, Probe] = {}

    def passes(self, agents: int) -> bool:
        if agents not in self.probes:
            self.probes[agents] = self._probe(agents)
            if self.s["progress"] is not None:
                self.s["progress"](self.probes[agents])
        return self.probes[agents].passed

    def _probe(self, agents: int) -> Probe:
        s = self.s
        point = staffing_overrides(self.scenario, s["group_path"], agents)
        ids = run_point(
            self.scenario, self.store, point, s["k"], cluster=self.cluster, sweep=self.sweep
        )
        kpis = [run_kpis(self.store, rid) for rid in ids]
        statuses = [self.store.run(rid).status for rid in ids]
        unfinished = sum(
            1
            for rid, kp in zip(ids, kpis, strict=True)
            if _unfinished(self.store, rid) or kp["dial_requests_expired"]
        )
        level = s["confidence"]
        done = mean_ci([kp["list_completion_s"] for kp in kpis], level)
        aband = mean_ci([kp["abandonment_rate"] for kp in kpis], level)
        reasons = []
        if any(st != "completed" for st in statuses):
            reasons.append("a run failed")
        if unfinished:
            reasons.append(f"{unfinished} of {len(ids)} runs left requests expired or undialed")
        if not done.high <= s["deadline_s"]:
            reasons.append(f"completion upper bound {_bound(done.high, 's')} > deadline")
        if aband.n and not aband.high <= s["max_abandonment"]:
            reasons.append(f"abandonment upper bound {_bound(aband.high, '')} > limit")
        return Probe(agents, not reasons, done, aband, unfinished, tuple(ids), tuple(reasons))


def find_staffing(
    scenario: Scenario,
    *,
    deadline_s: float,
    max_abandonment: float,
    group_path: str = "agent_groups[0].staffing",
    k: int = 10,
    workers: int | None = None,
    scheduler: str | None = None,
    cluster: Cluster | None = None,
    confidence: float = 0.95,
    low: int | None = None,
    high: int | None = None,
    store_url: str | None = None,
    progress: Callable[[Probe], None] | None = None,
) -> StaffingResult:
    """The fewest agents (every shift of ``group_path`` set alike) meeting the targets.

    See the module docstring for when a probe passes. ``low`` (default 1) is
    the first headcount tried; ``high`` caps the search (default: doubling up
    to ``MAX_AGENTS``); if ``high`` is given and fails, there is no answer.
    Runs go to ``store_url`` (default: a temporary database, deleted after).
    ``progress`` is called with each probe as it finishes. A probe's runs are
    Dask tasks, placed as ``experiments.run_replications`` says.

    Raises:
        ValueError: ``k < 2`` (an interval needs two runs), a bad bound or
            ``group_path``.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2 for a confidence interval, got {k}")
    start = 1 if low is None else low
    cap = MAX_AGENTS if high is None else high
    if start < 1 or cap < start:
        raise ValueError(f"need 1 <= low <= high, got low={low}, high={high}")
    staffing_overrides(scenario, group_path, start)  # a bad path fails before any run
    settings = {
        "group_path": group_path,
        "k": k,
        "confidence": confidence,
        "deadline_s": deadline_s,
        "max_abandonment": max_abandonment,
        "progress": progress,
    }
    with tempfile.TemporaryDirectory(prefix="sim-staff-", ignore_cleanup_errors=True) as tmp:
        url = store_url or str(Path(tmp) / "staffing.db")
        store = Store(url)
        try:
            with using_cluster(cluster, workers, scheduler, k) as active:
                search = _Search(scenario, store, active, **settings)
                answer = _bracket_and_bisect(search, start, cap, fixed_high=high is not None)
        finally:
            store.dispose()
    probes = tuple(search.probes[a] for a in search.probes)
    targets = {"deadline_s": deadline_s, "max_abandonment": max_abandonment}
    return StaffingResult(
        answer,
        probes,
        _explain(answer, probes, start, cap, k, confidence),
        search.sweep,
        store_url,
        targets,
    )


def _bracket_and_bisect(search: _Search, start: int, cap: int, *, fixed_high: bool) -> int | None:
    """Smallest passing headcount in [start, cap], assuming passing is monotone."""
    if search.passes(start):
        return start
    failing = start
    if fixed_high:
        if not search.passes(cap):
            return None
        passing = cap
    else:
        passing = min(cap, 2 * start)
        while not search.passes(passing):
            if passing >= cap:
                return None
            failing, passing = passing, min(cap, 2 * passing)
    while passing - failing > 1:
        mid = (failing + passing) // 2
        failing, passing = (failing, mid) if search.passes(mid) else (mid, passing)
    return passing


def _explain(
    answer: int | None, probes: tuple[Probe, ...], start: int, cap: int, k: int, level: float
) -> str:
    pct = round(100 * level)
    head = (
        f"{answer} agents is the fewest that met both targets"
        if answer is not None
        else f"no headcount from {start} to {cap} met both targets"
    )
    lines = [
        f"{head} ({len(probes)} probes of {k} replications, {pct}% upper bounds):",
        *(f"  {p.describe()}" for p in sorted(probes, key=lambda p: p.agents)),
    ]
    if answer is not None and answer == start and start > 1:
        lines.append(f"  note: {start} (the lower bound given) passed; fewer may pass too")
    return "\n".join(lines)

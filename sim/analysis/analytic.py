"""Analytic figures beside simulated ones, and Little's law on the dial-request buffer.

``analytic_comparison`` recognises two scenario shapes that an Erlang
formula describes exactly (see docs/analysis-tools.md, "Analytic models"):

* **M/M/c (Erlang C)**: one progressive campaign, every dial answered live at
  once (live_answer 1, ring_to_answer fixed 0, AMD off or error-free),
  exponential talk, no after-contact work, constant staffing without breaks
  or shrinkage, Poisson arrivals of single requests, and a dialer fast enough
  to add no delay. The dial requests are the customers, agents the servers,
  the buffer the queue: P(wait) and the mean wait to dial are Erlang C's.
* **M/G/c/c (Erlang B)**: one agentless campaign, live_answer 1 and a fixed
  ring time, Poisson single-request arrivals, and requests that expire
  almost at once (expires_after at most 1 % of the line hold time): a
  request finding every line busy is lost, so the expired share is Erlang
  B's blocking probability (any hold-time distribution).

Predictive campaigns are not matched to Erlang A: the predictive pacer stops
dialing when live calls wait, so live answers do not arrive as a Poisson
stream independent of the queue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from sim.analysis.erlang import erlang_b, erlang_c, erlang_c_mean_wait
from sim.domain import EventType
from sim.scenario import Exponential, Fixed, PoissonSource, Scenario, staffing_changes
from sim.store import Store
from sim.store.schema import events, events_of_types

__all__ = [
    "LittleCheck",
    "analytic_comparison",
    "arrival_rate",
    "buffer_little",
    "loss_model",
    "mmc_model",
]

_FAST = 1000.0  # dialer and API rates this many times the arrival rate add no delay
_EXPIRY_SHARE = 0.01  # expires_after / hold time below this makes a waiting request lost


def arrival_rate(scenario: Scenario) -> float | None:
    """Requests per second of a single campaign fed only by Poisson singles, else None."""
    if len(scenario.campaigns) != 1:
        return None
    sources = scenario.campaigns[0].sources
    poisson = [s for s in sources if isinstance(s, PoissonSource) and s.batch_size == 1]
    if not sources or len(poisson) != len(sources):
        return None
    return sum(s.rate_per_hour for s in poisson) / 3600.0


def _answered_at_once(scenario: Scenario) -> float | None:
    """The fixed ring time when every dial is a live answer AMD lets through, else None."""
    campaign = scenario.campaigns[0]
    outcomes = campaign.effective_outcomes(scenario)
    ring = scenario.durations.ring_to_answer
    if outcomes.live_answer != 1.0 or not isinstance(ring, Fixed):
        return None
    if campaign.answering_machine_detection and outcomes.amd.human_as_machine > 0:
        return None
    return ring.value if ring.value < campaign.ring_timeout else None


def _fast_enough(scenario: Scenario, rate: float) -> bool:
    api = scenario.api
    quotas = api.quotas
    campaign = scenario.campaigns[0]
    quota = (
        quotas.put_dial_request_batch if campaign.api == "v1" else quotas.put_outbound_request_batch
    )
    dialer = api.dialer_calls_per_second or quotas.batch_put_contact.rate
    return min(quota.rate, quotas.batch_put_contact.rate, dialer) >= _FAST * rate


def mmc_model(scenario: Scenario) -> tuple[int, float, float] | None:
    """(agents c, arrival rate per s, mean service s) when the scenario is M/M/c, else None."""
    rate = arrival_rate(scenario)
    if rate is None or len(scenario.agent_groups) != 1:
        return None
    campaign, group = scenario.campaigns[0], scenario.agent_groups[0]
    talk, acw = scenario.durations.talk, group.after_contact_work
    if campaign.mode != "progressive" or _answered_at_once(scenario) != 0.0:
        return None
    if not isinstance(talk, Exponential) or not (isinstance(acw, Fixed) and acw.value == 0):
        return None
    if group.breaks or group.shrinkage or campaign.bandwidth_allocation != 1.0:
        return None
    changes = staffing_changes(scenario, group)
    agents = changes[0][1]
    if len(changes) != 1 or agents < 1 or scenario.instance.concurrent_calls < agents:
        return None
    return (agents, rate, talk.mean_s) if _fast_enough(scenario, rate) else None


def loss_model(scenario: Scenario) -> tuple[int, float, float] | None:
    """(lines c, arrival rate per s, mean hold s) when the scenario is M/G/c/c, else None."""
    rate = arrival_rate(scenario)
    if rate is None or scenario.campaigns[0].mode != "agentless":
        return None
    ring = _answered_at_once(scenario)
    if ring is None:
        return None
    campaign = scenario.campaigns[0]
    hold = ring + scenario.durations.voicemail.mean()
    if any(s.expires_after > _EXPIRY_SHARE * hold for s in campaign.sources):
        return None
    lines = math.floor(campaign.dialing_capacity * scenario.instance.concurrent_calls + 1e-9)
    return (lines, rate, hold) if _fast_enough(scenario, rate) and lines >= 1 else None


def _value(summary: Any, key: str) -> float:
    data = summary.as_dict() if hasattr(summary, "as_dict") else summary
    value = data.get(key) if isinstance(data, Mapping) else None
    mean = getattr(value, "mean", value)
    return math.nan if mean is None else float(mean)


def analytic_comparison(scenario: Scenario, summary: Any) -> list[tuple[str, float, float]] | None:
    """(KPI, analytic value, simulated value) rows when the scenario fits a model, else None.

    ``summary`` maps KPI names to values (a ``run_summary(...).as_dict()``,
    ``experiments.run_kpis`` output, or replication means; ``CI`` values are
    read by their mean). A KPI missing from it comes back as nan. An unstable
    M/M/c (load >= agents) has no steady state and gives None.
    """
    mmc = mmc_model(scenario)
    if mmc is not None:
        c, lam, s = mmc
        load = lam * s
        if load >= c:
            return None
        return [
            (
                "wait_to_dial_probability",
                erlang_c(c, load),
                _value(summary, "wait_to_dial_probability"),
            ),
            (
                "wait_to_dial_mean_s",
                erlang_c_mean_wait(c, load, s),
                _value(summary, "wait_to_dial_mean_s"),
            ),
            ("agent_occupancy", load / c, _value(summary, "agent_occupancy")),
        ]
    loss = loss_model(scenario)
    if loss is not None:
        c, lam, hold = loss
        return [("expired_share", erlang_b(c, lam * hold), _value(summary, "expired_share"))]
    return None


# --------------------------------------------------------------------------- Little's law


@dataclass(frozen=True)
class LittleCheck:
    """Little's law on the buffer of accepted, not yet dialed requests.

    ``time_avg_backlog`` integrates the number in the buffer over the run from
    event times; ``mean_wait_s`` averages the engine's own ``waited_s`` (and,
    for requests that expired, failed or were still waiting at the end, the
    time from entering to leaving or to the end). ``entries`` counts
    acceptances and redial re-entries over ``span_s``.
    """

    time_avg_backlog: float
    accept_rate: float
    mean_wait_s: float
    entries: int
    span_s: float

    @property
    def relative_error(self) -> float:
        """|L - lambda W| / L (0 for an empty buffer)."""
        rhs = self.accept_rate * self.mean_wait_s
        return abs(self.time_avg_backlog - rhs) / self.time_avg_backlog if rhs else 0.0


_DR = (
    EventType.DIAL_REQUEST_ACCEPTED,
    EventType.DIAL_REQUEST_RETRY_SCHEDULED,
    EventType.DIAL_REQUEST_DIALED,
    EventType.DIAL_REQUEST_EXPIRED,
    EventType.DIAL_REQUEST_FAILED,
)


def buffer_little(store: Store, run_id: int) -> LittleCheck:
    """L, lambda and W of the dial-request buffer of one run (see :class:`LittleCheck`)."""
    info = store.run(run_id)
    start = info.sim_start
    end = info.sim_end if info.sim_end is not None else start
    horizon_end = start + float(info.scenario["horizon"])
    query = (
        select(events.c.stream_id, events.c.type, events.c.time, events.c.payload)
        .where(events.c.run_id == run_id, events_of_types(*_DR))
        .order_by(events.c.position)
    )
    entered: dict[str, float] = {}
    area = waits = 0.0
    entries = 0
    with store.engine.connect() as conn:
        for stream, type_, t, payload in conn.execution_options(yield_per=20000).execute(query):
            if type_ == EventType.DIAL_REQUEST_ACCEPTED:
                entered[stream], entries = t, entries + 1
            elif type_ == EventType.DIAL_REQUEST_RETRY_SCHEDULED:
                retry_at = float(orjson.loads(payload)["retry_at"])
                if retry_at < horizon_end:  # requeued only before the horizon
                    entered[stream], entries = retry_at, entries + 1
            elif stream in entered:
                since = entered.pop(stream)
                area += t - since
                waited = orjson.loads(payload).get("waited_s") if type_.endswith("DIALED") else None
                waits += t - since if waited is None else float(waited)
    for since in entered.values():  # still waiting at the end
        area += max(0.0, end - since)
        waits += max(0.0, end - since)
    span = end - start
    return LittleCheck(
        time_avg_backlog=area / span if span > 0 else 0.0,
        accept_rate=entries / span if span > 0 else 0.0,
        mean_wait_s=waits / entries if entries else 0.0,
        entries=entries,
        span_s=span,
    )

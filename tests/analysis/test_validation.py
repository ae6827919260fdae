"""The simulator against queueing theory, judged by replication confidence intervals.

Each case runs K = 30 seeded replications of a scenario built to match an
analytic model exactly and asks whether the analytic value lies in the
Student t interval of the replication means (after a 30-minute warm-up).

How a correct model rarely fails by chance: the file makes CHECKS = 6 interval
checks, and each uses confidence 1 - 0.01 / CHECKS (99.83 %), so by Bonferroni's
inequality a correct model fails any of them, for a random seed set, with
probability below 1 %. 30 replications keep the intervals narrow enough to
catch a real bias of a few percent (Erlang A's abandonment: half-width about
0.016 around 0.204). The seeds are fixed (base seed 1), so a run is
reproducible; 60 replications from base seed 100 give Erlang A abandonment
0.206 +- 0.006 against 0.2039 and mean wait 6.13 s against 6.12 s (95 %).
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.analysis.analytic import analytic_comparison, buffer_little, loss_model, mmc_model
from sim.analysis.erlang import erlang_a, erlang_b, erlang_c, erlang_c_mean_wait
from sim.analysis.experiments import replication_report, run_replications
from sim.analysis.stats import CI
from sim.scenario import Scenario, parse_scenario
from sim.store import Store

pytestmark = pytest.mark.slow

K = 30
CHECKS = 6  # the _inside calls of this file
CONFIDENCE = 1 - 0.01 / CHECKS
WARMUP_S = 1800.0
FAST = {"rate": 1e6, "burst": 1000}  # API and dialer so fast they add no delay
LIVE_ONLY = {"live_answer": 1, "voicemail": 0, "no_answer": 0, "busy": 0, "invalid_number": 0}


def _scenario(name: str, campaign: dict[str, Any], **extra: Any) -> Scenario:
    hours = extra.pop("hours", 4)
    data: dict[str, Any] = {
        "name": name,
        "seed": 1,
        "start": "2026-10-06T09:00:00-04:00",
        "horizon": f"{hours + 1}h",
        "campaigns": [
            {
                "id": "c",
                "answering_machine_detection": False,
                **campaign,
                "sources": [
                    {
                        "kind": "poisson",
                        "rate_per_hour": extra.pop("rate_per_hour"),
                        "batch_size": 1,
                        "end": f"{hours}h",
                        "expires_after": extra.pop("expires_after", "1d"),
                    }
                ],
            }
        ],
        "outcomes": LIVE_ONLY,
        "api": {
            "quotas": {k: FAST for k in ("batch_put_contact", "put_dial_request_batch")}
            | {"put_outbound_request_batch": FAST},
            "dialer_calls_per_second": 1e6,
        },
        **extra,
    }
    return parse_scenario(data)


def _agents(n: int) -> list[dict[str, Any]]:
    return [
        {"name": "g", "queue": "q", "staffing": [{"start": "00:00", "end": "00:00", "agents": n}]}
    ]


# M/M/5 at 80 % load: lambda = 4/min, exponential talk of mean 60 s.
MMC_AGENTS, MMC_RATE_H, MMC_TALK_S = 5, 240.0, 60.0


def mmc_scenario() -> Scenario:
    return _scenario(
        "mmc",
        {"mode": "progressive", "queue": "q"},
        hours=8,
        rate_per_hour=MMC_RATE_H,
        instance={"queues": ["q"], "concurrent_calls": 1000},
        agent_groups=_agents(MMC_AGENTS),
        durations={"ring_to_answer": 0, "talk": {"kind": "exponential", "mean": MMC_TALK_S}},
    )


# M/M/10/10 at 8 Erlangs: lambda = 8/min, exponential message of mean 60 s.
LOSS_LINES, LOSS_RATE_H, LOSS_HOLD_S = 10, 480.0, 60.0


def loss_scenario() -> Scenario:
    return _scenario(
        "loss",
        {"mode": "agentless"},
        rate_per_hour=LOSS_RATE_H,
        expires_after=0.001,  # a request finding every line busy is lost
        instance={"queues": ["q"], "concurrent_calls": LOSS_LINES},
        durations={"ring_to_answer": 0, "voicemail": {"kind": "exponential", "mean": LOSS_HOLD_S}},
    )


# M/M/5+M: lambda = 5/min, talk 60 s, patience 30 s (Erlang A abandonment ~20 %).
EA_AGENTS, EA_RATE_H, EA_TALK_S, EA_PATIENCE_S = 5, 300.0, 60.0, 30.0


def erlang_a_scenario() -> Scenario:
    return _scenario(
        "erlang-a",
        {
            "mode": "predictive",
            "queue": "q",
            "predictive": {"pacing": "immediate", "connection_threshold": "1d"},
        },
        rate_per_hour=EA_RATE_H,
        instance={"queues": ["q"], "concurrent_calls": 1000},
        agent_groups=_agents(EA_AGENTS),
        durations={
            "ring_to_answer": 0,
            "talk": {"kind": "exponential", "mean": EA_TALK_S},
            "patience": {"kind": "exponential", "mean": EA_PATIENCE_S},
        },
    )


@pytest.fixture(scope="module")
def store() -> Store:
    return Store(":memory:")


def _report(store: Store, scenario: Scenario, cluster: Any) -> dict[str, Any]:
    ids = run_replications(scenario, store, K, cluster=cluster)
    return replication_report(store, ids, warmup_s=WARMUP_S, confidence=CONFIDENCE)


def _ci(report: dict[str, Any], key: str) -> CI:
    return CI(**report["kpis"][key], confidence=report["confidence"])


def _inside(report: dict[str, Any], key: str, value: float) -> None:
    ci = _ci(report, key)
    assert ci.n == K
    assert ci.low <= value <= ci.high, (
        f"{key}: analytic {value:.4g} not in [{ci.low:.4g}, {ci.high:.4g}]"
    )


def test_progressive_single_requests_are_an_mmc_queue(store: Store, dask_cluster: Any) -> None:
    scenario = mmc_scenario()
    assert mmc_model(scenario) == (MMC_AGENTS, MMC_RATE_H / 3600, MMC_TALK_S)
    report = _report(store, scenario, dask_cluster)
    load = MMC_RATE_H / 3600 * MMC_TALK_S
    _inside(report, "wait_to_dial_probability", erlang_c(MMC_AGENTS, load))
    _inside(report, "wait_to_dial_mean_s", erlang_c_mean_wait(MMC_AGENTS, load, MMC_TALK_S))
    _inside(report, "agent_occupancy", load / MMC_AGENTS)
    assert [row["kpi"] for row in report["analytic"]] == [
        "wait_to_dial_probability",
        "wait_to_dial_mean_s",
        "agent_occupancy",
    ]


def test_agentless_without_buffering_is_an_erlang_b_loss_system(
    store: Store, dask_cluster: Any
) -> None:
    scenario = loss_scenario()
    assert loss_model(scenario) == (LOSS_LINES, LOSS_RATE_H / 3600, LOSS_HOLD_S)
    report = _report(store, scenario, dask_cluster)
    blocking = erlang_b(LOSS_LINES, LOSS_RATE_H / 3600 * LOSS_HOLD_S)
    _inside(report, "expired_share", blocking)
    assert report["analytic"][0]["kpi"] == "expired_share"


def test_impatient_live_customers_match_erlang_a(store: Store, dask_cluster: Any) -> None:
    report = _report(store, erlang_a_scenario(), dask_cluster)
    model = erlang_a(EA_AGENTS, EA_RATE_H / 3600, 1 / EA_TALK_S, 1 / EA_PATIENCE_S)
    _inside(report, "abandonment_rate", model.p_abandon)
    _inside(report, "queue_wait_mean_s", model.mean_wait)


def test_analytic_comparison_ignores_other_scenarios() -> None:
    assert analytic_comparison(erlang_a_scenario(), {}) is None
    changed = mmc_scenario().model_copy(update={"outcomes": mmc_scenario().outcomes})
    assert analytic_comparison(changed, {"wait_to_dial_mean_s": 1.0}) is not None


def test_littles_law_holds_on_the_buffer_of_every_run(store: Store) -> None:
    """Runs of every test above (module store), whatever their model."""
    if not store.runs():
        run_replications(loss_scenario(), store, 2)
    for info in store.runs():
        check = buffer_little(store, info.id)
        assert check.entries > 0
        assert check.relative_error < 1e-6, (info.name, info.seed, check)

"""Each scenarios/*.yaml (not bad/) runs to completion with sensible figures.

The runs are shared across the session (``scenario_run``). Every run must
keep the event contract (``invariants``), respect its horizon (no request
accepted and no contact dialed at or after it; calls in progress finish),
and show the figures its description promises.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from sim.scenario import staffing_changes

from . import invariants as inv
from .conftest import GOOD_SCENARIOS, Ran, base_dict, build, run

AGENT_EVENTS = ("LOGIN", "STATE_CHANGE", "LOGOUT", "QUEUED", "CONNECTED_TO_AGENT")
# What may still happen after the horizon: calls in progress finishing.
AFTER_HORIZON = {
    "RINGING",
    "CONNECTED_TO_SYSTEM",
    "QUEUED",
    "CONNECTED_TO_AGENT",
    "DISCONNECTED",
    "COMPLETED",
    "DIAL_REQUEST_COMPLETED",
    "DIAL_REQUEST_RETRY_SCHEDULED",
    "STATE_CHANGE",
    "LOGOUT",
}

ScenarioRun = Callable[[str], Ran]


def test_all_scenarios_are_covered() -> None:
    assert GOOD_SCENARIOS == [
        "agentless_blast",
        "national_4zones",
        "predictive_vs_progressive",
        "progressive_day",
        "quickstart",
        "shared_agents_70_30",
    ]


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_scenario_completes_and_keeps_the_contract(name: str, scenario_run: ScenarioRun) -> None:
    ran = scenario_run(name)
    assert ran.outcome.status == "completed"
    info = ran.store.run(ran.run_id)
    assert info.status == "completed" and info.error is None
    assert info.events == ran.outcome.events > 0
    events = ran.events()
    assert len(events) == info.events
    inv.check_all(events, ran.scenario, ran.drained)
    inv.check_bandwidth(events, ran.scenario)
    counts = Counter(e.type for e in events)
    assert counts["DIAL_REQUEST_ACCEPTED"] > 0
    assert counts["INITIATED"] > 0


@pytest.mark.parametrize("name", GOOD_SCENARIOS)
def test_horizon_is_respected(name: str, scenario_run: ScenarioRun) -> None:
    ran = scenario_run(name)
    end = ran.scenario.end_ts
    events = ran.events()
    late = Counter(e.type for e in events if e.time >= end)
    assert set(late) <= AFTER_HORIZON, late
    if ran.drained:
        assert not late
    else:
        # The run went on only to let calls in progress finish.
        assert ran.outcome.sim_end >= end
        assert late["COMPLETED"] > 0
        assert ran.outcome.sim_end == max(e.time for e in events)


def _max_concurrent(events: list[Any]) -> int:
    """The most calls in progress at once (a dial to its DISCONNECTED)."""
    calls: set[str] = set()
    peak = 0
    for e in events:
        if e.type == "DIAL_REQUEST_DIALED":
            calls.add(e.payload["contact_id"])
            peak = max(peak, len(calls))
        elif e.type == "DISCONNECTED":
            calls.discard(e.stream_id)
    return peak


def _outcomes(events: list[Any]) -> Counter[str]:
    return Counter(e.payload["outcome"] for e in events if e.type == "DISCONNECTED")


def test_agentless_blast(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("agentless_blast")
    events = ran.events()
    counts = Counter(e.type for e in events)
    assert not any(counts[t] for t in AGENT_EVENTS), "agentless run has agent events"
    assert counts["DIAL_REQUEST_ACCEPTED"] == 2000  # every row of lists/blast.csv
    assert counts["DIAL_REQUEST_COMPLETED"] == 2000
    assert ran.drained
    # The instance's 20 concurrent calls are the binding limit.
    assert _max_concurrent(events) == 20
    outcomes = _outcomes(events)
    assert set(outcomes) <= {"DELIVERED", "VOICEMAIL", "NO_ANSWER", "BUSY", "INVALID_NUMBER",
                             "AMD_HANGUP"}  # fmt: skip
    assert outcomes["DELIVERED"] > 0 and outcomes["VOICEMAIL"] > 0
    # The CSV attributes travel with each request into BatchPutContact.
    attrs = ran.sql(
        "SELECT count(*) FROM contacts WHERE run_id = :run AND campaign_id = 'outage-notice'"
    )
    assert attrs == [(2000,)]


def test_progressive_day_staffing_follows_the_schedule(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("progressive_day")
    scenario = ran.scenario
    (group,) = scenario.agent_groups
    # Scheduled headcount minus the shrinkage share (rounded) is logged in.
    expected = [
        (when, n - round(n * group.shrinkage)) for when, n in staffing_changes(scenario, group)
    ]
    start = scenario.start_ts
    assert [(t - start, n) for t, n in expected] == [
        (0.0, 14),  # 09:00 ramp-up (15 scheduled)
        (3600.0, 38),  # 10:00 (40)
        (12600.0, 24),  # 12:30 lunch dip (25)
        (16200.0, 38),  # 13:30 (40)
    ]
    events = ran.events()
    logged: list[tuple[float, int]] = []
    n = 0
    for e in events:
        if e.type in ("LOGIN", "LOGOUT"):
            n += 1 if e.type == "LOGIN" else -1
            logged.append((e.time, n))

    def logged_at(t: float) -> int:
        """Logged-in agents once every event at instant t is done."""
        return [k for when, k in logged if when <= t][-1]

    assert {e.time for e in events if e.type == "LOGIN"} <= {t for t, _ in expected}
    for (when, headcount), (_, previous) in zip(expected, [(0.0, 0), *expected], strict=False):
        if headcount >= previous:
            assert logged_at(when) == headcount, f"at {when - start:.0f}s"
        else:
            # Busy agents finish their contact first, then leave: within talk + ACW.
            assert logged_at(when) >= headcount
            assert logged_at(when + 1800) == headcount, f"after {when - start:.0f}s"


def test_progressive_day_breaks_are_taken(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("progressive_day")
    start = ran.scenario.start_ts
    breaks = [
        e.time - start
        for e in ran.events()
        if e.type == "STATE_CHANGE" and e.payload["state"] == "ON_BREAK"
    ]
    # 11:00 and 15:00 (2h and 6h in), half the agents each, as each gets free.
    assert breaks
    assert all(7200 <= t < 7200 + 1800 or 21600 <= t < 21600 + 1800 for t in breaks)
    assert sum(t < 21600 for t in breaks) == 19  # half of 38 logged in
    assert sum(t >= 21600 for t in breaks) == 19


def test_quickstart_figures(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("quickstart")
    scenario = ran.scenario
    (campaign,) = scenario.campaigns
    (source,) = campaign.sources
    (group,) = scenario.agent_groups
    events = ran.events()
    counts = Counter(e.type for e in events)
    retries = [e for e in events if e.type == "DIAL_REQUEST_RETRY_SCHEDULED"]
    # The list, and each redial the client submitted again as a new request.
    assert counts["DIAL_REQUEST_ACCEPTED"] == source.max_requests + len(retries)
    assert counts["LOGIN"] == group.staffing[0].agents
    # Progressive: one dial per agent, so never more lines than agents.
    assert _max_concurrent(events) <= group.staffing[0].agents
    assert retries
    assert {e.payload["outcome"] for e in retries} <= set(campaign.redial.on)
    assert all(
        e.payload["retry_at"] == pytest.approx(e.time + campaign.redial.delay) for e in retries
    )
    assert {e.payload["attempt"] for e in retries} == set(
        range(2, campaign.redial.max_attempts + 1)
    )
    completed = Counter(e.payload["attempts"] for e in events if e.type == "DIAL_REQUEST_COMPLETED")
    assert set(completed) <= set(range(1, campaign.redial.max_attempts + 1))


def test_shared_agents_split_by_bandwidth(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("shared_agents_70_30")
    events = ran.events()
    campaign_of = {e.stream_id: e.payload["campaign_id"] for e in events if e.type == "INITIATED"}
    talked = Counter(campaign_of[e.stream_id] for e in events if e.type == "CONNECTED_TO_AGENT")
    assert talked["sales"] > talked["survey"] > 0
    # Peak agents held by each campaign: ceil(0.7 x 20) = 14 and ceil(0.3 x 20) = 6.
    peaks = _peak_held(events, campaign_of)
    assert peaks["sales"] <= math.ceil(0.7 * 20)
    assert peaks["survey"] <= math.ceil(0.3 * 20)
    assert peaks["survey"] == 6  # the survey's share is used to the full


def _peak_held(events: list[Any], campaign_of: dict[str, str]) -> Counter[str]:
    holder: dict[str, str] = {}
    held: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    for e in events:
        p = e.payload
        if e.type in ("RINGING", "CONNECTED_TO_AGENT") and p.get("agent_id"):
            if p["agent_id"] not in holder:
                cid = holder[p["agent_id"]] = campaign_of[e.stream_id]
                held[cid] += 1
                peak[cid] = max(peak[cid], held[cid])
        elif e.type == "STATE_CHANGE" and p["state"] not in inv.BUSY and e.stream_id in holder:
            held[holder.pop(e.stream_id)] -= 1
    return peak


def test_predictive_dials_ahead_of_agents(scenario_run: ScenarioRun) -> None:
    ran = scenario_run("predictive_vs_progressive")
    events = ran.events()
    assert ran.drained
    # 15 agents; predictive pacing has more calls ringing than agents at times.
    assert _max_concurrent(events) > 15
    outcomes = _outcomes(events)
    live = outcomes["CONNECTED"] + outcomes["ABANDONED"]
    assert 0 < outcomes["ABANDONED"] / live < 0.06  # around the 3% target


def test_no_dial_after_the_horizon_under_throttling() -> None:
    data = base_dict(
        horizon=60,
        agent_groups=[],
        instance={"queues": ["q"], "phone_numbers": ["+15550100"], "concurrent_calls": 200},
        campaigns=[
            {
                "id": "c1",
                "mode": "agentless",
                "sources": [{"kind": "schedule", "batches": [{"at": 0, "count": 25}] * 3}],
            }
        ],
        api={
            "quotas": {"batch_put_contact": {"rate": 0.02, "burst": 1}},
            "dialer_calls_per_second": 10,
        },
    )
    ran = run(build(data))
    inv.check_horizon(ran.events(), ran.scenario)

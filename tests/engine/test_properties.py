"""Property tests: the event contract holds for small random scenarios.

Each example builds a scenario with ``parse_scenario`` (1-8 agents, random
outcome probabilities and durations, 1-2 progressive / agentless campaigns,
schedule or Poisson sources, sometimes injected API faults and campaign
pauses), runs it into an in-memory store and checks the log with
``invariants``. Horizons are mostly long enough for the run to drain, so
"every request ends exactly once" is checked in earnest; some are short, to
check the horizon cut ("at most once").
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import invariants as inv
from .conftest import Ran, base_dict, build, run

PROPS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

DISTRIBUTIONS = st.one_of(
    st.builds(lambda v: {"kind": "fixed", "value": v}, st.integers(1, 90)),
    st.builds(lambda m: {"kind": "exponential", "mean": m}, st.integers(1, 90)),
    st.builds(lambda lo, w: {"kind": "uniform", "low": lo, "high": lo + w},
              st.integers(0, 30), st.integers(0, 60)),
)  # fmt: skip


@st.composite
def outcomes(draw: st.DrawFn) -> dict[str, Any]:
    """Five probabilities in twentieths, summing to exactly 1."""
    cuts = sorted(draw(st.lists(st.integers(0, 20), min_size=4, max_size=4)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 20], strict=True)]
    names = ("live_answer", "voicemail", "no_answer", "busy", "invalid_number")
    amd = {
        "human_as_machine": draw(st.sampled_from([0.0, 0.1])),
        "machine_as_human": draw(st.sampled_from([0.0, 0.2])),
    }
    return {**{n: k / 20 for n, k in zip(names, parts, strict=True)}, "amd": amd}


@st.composite
def sources(draw: st.DrawFn) -> list[dict[str, Any]]:
    expires = draw(st.sampled_from([60, 600, 3600]))
    if draw(st.booleans()):
        batches = draw(
            st.lists(
                st.fixed_dictionaries({"at": st.integers(0, 900), "count": st.integers(1, 25)}),
                min_size=1,
                max_size=3,
            )
        )
        return [{"kind": "schedule", "batches": batches, "expires_after": expires}]
    return [
        {
            "kind": "poisson",
            "rate_per_hour": draw(st.integers(20, 300)),
            "batch_size": draw(st.integers(1, 25)),
            "max_requests": draw(st.integers(1, 60)),
            "end": 1200,
            "expires_after": expires,
        }
    ]


@st.composite
def campaigns(draw: st.DrawFn) -> list[dict[str, Any]]:
    modes = draw(st.lists(st.sampled_from(["progressive", "agentless"]), min_size=1, max_size=2))
    # Shares within one queue / among agentless campaigns sum to at most 1.
    shares = [0.5, 0.5] if len(modes) == 2 and modes[0] == modes[1] else [1.0, 1.0]
    result = []
    for i, mode in enumerate(modes):
        share = draw(st.sampled_from([s for s in (0.25, 0.4, 0.5, 1.0) if s <= shares[i]]))
        campaign: dict[str, Any] = {
            "id": f"c{i + 1}",
            "mode": mode,
            "api": draw(st.sampled_from(["v1", "v2"])),
            "answering_machine_detection": draw(st.booleans()),
            "ring_timeout": draw(st.sampled_from([15, 30])),
            "sources": draw(sources()),
            "redial": {
                "max_attempts": draw(st.integers(1, 3)),
                "delay": draw(st.sampled_from([30, 300])),
                "on": ["NO_ANSWER", "BUSY", "VOICEMAIL"],
            },
        }
        if mode == "progressive":
            campaign |= {"queue": "q", "bandwidth_allocation": share}
        else:
            campaign["dialing_capacity"] = share
        if draw(st.integers(0, 4)) == 0:
            campaign["schedule"] = [
                {"at": 120, "action": "pause"},
                {"at": 400, "action": "resume"},
            ]
        result.append(campaign)
    return result


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    agents = draw(st.integers(1, 8))
    staffing = [{"start": "00:00", "end": "00:00", "agents": agents}]
    if draw(st.booleans()):
        # A second shift 09:05-09:15 on top: staffing moves mid-run.
        staffing.append({"start": "09:05", "end": "09:15", "agents": draw(st.integers(1, 4))})
    faults = draw(
        st.sampled_from(
            [
                {},
                {"item_error_probability": 0.15},
                {"request_error_probability": 0.15},
                {"item_error_probability": 0.1, "request_error_probability": 0.1},
            ]
        )
    )
    return {
        "name": "prop",
        "seed": draw(st.integers(0, 2**16)),
        "start": "2026-10-06T09:00:00+00:00",
        # Mostly long enough to drain; sometimes cut short.
        "horizon": draw(st.sampled_from([6 * 3600, 6 * 3600, 6 * 3600, 900])),
        "instance": {
            "queues": ["q"],
            "phone_numbers": ["+15550100"],
            "concurrent_calls": draw(st.integers(1, 12)),
        },
        "agent_groups": [
            {
                "name": "g",
                "queue": "q",
                "staffing": staffing,
                "after_contact_work": draw(DISTRIBUTIONS),
            }
        ],
        "campaigns": draw(campaigns()),
        "outcomes": draw(outcomes()),
        "durations": {
            "ring_to_answer": draw(DISTRIBUTIONS),
            "talk": draw(DISTRIBUTIONS),
            "patience": draw(DISTRIBUTIONS),
            "voicemail": draw(DISTRIBUTIONS),
            "busy_signal": draw(st.integers(1, 10)),
        },
        "api": {"faults": faults},
    }


def simulate(data: dict[str, Any]) -> tuple[Ran, list[Any]]:
    ran = run(build(data))
    assert ran.outcome.status == "completed"
    return ran, ran.events()


@PROPS
@given(scenarios())
def test_every_request_ends_once(data: dict[str, Any]) -> None:
    ran, events = simulate(data)
    inv.check_terminal(events, ran.drained)


@PROPS
@given(scenarios())
def test_no_agent_on_two_contacts(data: dict[str, Any]) -> None:
    _, events = simulate(data)
    inv.check_agents(events)


@PROPS
@given(scenarios())
def test_streams_versions_and_times(data: dict[str, Any]) -> None:
    _, events = simulate(data)
    inv.check_streams(events)


@PROPS
@given(scenarios())
def test_counts_conserved(data: dict[str, Any]) -> None:
    ran, events = simulate(data)
    counts = inv.check_counts(events)
    inv.check_contacts(events, ran.drained)
    if ran.drained:
        assert counts["open"] == 0
        assert ran.outcome.pending_at_end == 0
    # Pending at the end: requests still in a campaign buffer, and redials the
    # client scheduled and never got accepted.
    assert counts["open"] <= ran.outcome.pending_at_end <= counts["open"] + counts["redials"]


@PROPS
@given(scenarios())
def test_lines_and_bandwidth_respected(data: dict[str, Any]) -> None:
    ran, events = simulate(data)
    inv.check_lines(events, ran.scenario)
    inv.check_bandwidth(events, ran.scenario)
    inv.check_horizon(events, ran.scenario)


def redial_past_the_horizon() -> dict[str, Any]:
    """Every first attempt is a NO_ANSWER whose redial falls after the 30-minute horizon."""
    data = base_dict(horizon=1800)
    data["outcomes"] = {
        "live_answer": 0.0,
        "voicemail": 0.0,
        "no_answer": 1.0,
        "busy": 0.0,
        "invalid_number": 0.0,
    }
    data["campaigns"][0]["redial"] = {"max_attempts": 2, "delay": 3600, "on": ["NO_ANSWER"]}
    return data


def test_redials_past_the_horizon_stay_open() -> None:
    """The client's redials that fall due after the horizon are never submitted: the
    first requests are COMPLETED, and the redials count as pending at the end."""
    ran = run(build(redial_past_the_horizon()))
    events = ran.events()
    counts = inv.check_counts(events)
    assert counts["accepted"] == 10
    assert counts["ended"] == 10 and counts["open"] == 0
    retries = [e for e in events if e.type == "DIAL_REQUEST_RETRY_SCHEDULED"]
    assert len(retries) == 10 == counts["redials"]
    assert all(e.payload["retry_at"] >= ran.scenario.end_ts for e in retries)
    assert ran.outcome.pending_at_end == 10


def test_accepted_equals_ended_plus_pending_at_end() -> None:
    ran = run(build(redial_past_the_horizon()))
    counts = inv.check_counts(ran.events())
    assert counts["accepted"] + counts["redials"] == counts["ended"] + ran.outcome.pending_at_end

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

import sim.scenario as sc
from sim.scenario import (
    AgentGroup,
    Campaign,
    Outcomes,
    Scenario,
    Shift,
    parse_scenario,
    staffing_changes,
)

HOUR = 3_600.0


def _models() -> list[type[BaseModel]]:
    return [
        obj for obj in vars(sc).values() if isinstance(obj, type) and issubclass(obj, BaseModel)
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_model_is_frozen_and_forbids_extra_keys(model: type[BaseModel]) -> None:
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "forbid"


def test_defaults(raw: dict[str, Any]) -> None:
    s = parse_scenario(
        {"start": raw["start"], "horizon": "1h", "campaigns": [{"id": "c", "queue": "default"}]}
    )
    assert (s.name, s.description, s.seed, s.interval) == ("scenario", "", 0, 900.0)
    assert s.instance.id == "instance-1"
    assert s.instance.queues == ("default",)
    assert s.instance.phone_numbers == ("+15550100",)
    assert s.instance.concurrent_calls == 10
    c = s.campaigns[0]
    assert (c.name, c.mode, c.api, c.ring_timeout) == ("c", "progressive", "v1", 30.0)
    assert c.source_phone_number == "+15550100"  # derived from the instance
    assert (c.bandwidth_allocation, c.dialing_capacity) == (1.0, 1.0)
    assert c.predictive.evaluation_window == HOUR
    assert c.redial.max_attempts == 1 and c.redial.on == ("NO_ANSWER", "BUSY")
    assert s.outcomes.live_answer == 0.35
    assert s.durations.talk.mean() == 180.0
    assert s.api.quotas.batch_put_contact.burst == 15
    assert s.api.dialer_calls_per_second == 10.0  # derived from the quota
    assert s.api.idempotency_retention == 7 * 24 * HOUR
    assert (s.abandonment_rule.limit, s.abandonment_rule.window) == (0.03, 30 * 24 * HOUR)


def test_dialer_rate_follows_quota(raw: dict[str, Any]) -> None:
    raw["api"] = {"quotas": {"batch_put_contact": {"rate": 4, "burst": 4}}}
    assert parse_scenario(raw).api.dialer_calls_per_second == 4.0


def test_start_and_end_timestamps(raw: dict[str, Any]) -> None:
    s = parse_scenario(raw)
    assert s.start_ts == datetime(2026, 10, 6, 13, 0, tzinfo=UTC).timestamp()
    assert s.end_ts == s.start_ts + 8 * HOUR


def test_scenario_is_frozen(raw: dict[str, Any]) -> None:
    s = parse_scenario(raw)
    with pytest.raises(ValidationError):
        s.seed = 3  # type: ignore[misc]


def test_effective_outcomes(raw: dict[str, Any]) -> None:
    own = {
        "live_answer": 0.5,
        "voicemail": 0.3,
        "no_answer": 0.1,
        "busy": 0.05,
        "invalid_number": 0.05,
    }
    raw["campaigns"].append(
        {"id": "camp-2", "queue": "sales", "bandwidth_allocation": 0.5, "outcomes": own}
    )
    raw["campaigns"][0]["bandwidth_allocation"] = 0.5
    s = parse_scenario(raw)
    assert s.campaigns[0].effective_outcomes(s) is s.outcomes
    assert s.campaigns[1].effective_outcomes(s).live_answer == 0.5
    assert s.campaigns[1].caller_id(s) == "+15550100"


def test_agents_at_sums_overlapping_and_overnight_shifts() -> None:
    group = AgentGroup(
        name="g",
        queue="q",
        staffing=(
            Shift(start=9 * HOUR, end=17 * HOUR, agents=10),
            Shift(start=12 * HOUR, end=13 * HOUR, agents=5),
            Shift(start=22 * HOUR, end=6 * HOUR, agents=3),
        ),
    )
    assert group.agents_at(8 * HOUR) == 0
    assert group.agents_at(9 * HOUR) == 10
    assert group.agents_at(12.5 * HOUR) == 15
    assert group.agents_at(17 * HOUR) == 0
    assert group.agents_at(23 * HOUR) == 3
    assert group.agents_at(2 * HOUR) == 3


def test_staffing_changes_day_by_day(raw: dict[str, Any]) -> None:
    raw["start"] = "2026-10-06T08:00:00-04:00"
    raw["horizon"] = "2d"
    raw["agent_groups"][0]["staffing"] = [
        {"start": "09:00", "end": "12:00", "agents": 20},
        {"start": "12:00", "end": "17:00", "agents": 10},
        {"start": "22:00", "end": "02:00", "agents": 2},
    ]
    s = parse_scenario(raw)
    changes = staffing_changes(s, s.agent_groups[0])
    day = 24 * HOUR
    offsets = [(t - s.start_ts, n) for t, n in changes]
    expected_day = [(1 * HOUR, 20), (4 * HOUR, 10), (9 * HOUR, 0), (14 * HOUR, 2), (18 * HOUR, 0)]
    assert offsets == [(0.0, 0), *expected_day, *[(t + day, n) for t, n in expected_day]]


def test_staffing_changes_start_inside_an_overnight_shift(raw: dict[str, Any]) -> None:
    raw["start"] = "2026-10-06T01:00:00+00:00"
    raw["horizon"] = "3h"
    raw["agent_groups"][0]["staffing"] = [{"start": "22:00", "end": "02:00", "agents": 4}]
    s = parse_scenario(raw)
    assert [(t - s.start_ts, n) for t, n in staffing_changes(s, s.agent_groups[0])] == [
        (0.0, 4),
        (HOUR, 0),
    ]


def test_piecewise_rate_changes(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["sources"] = [
        {"kind": "piecewise", "rates": [{"start": "10:00", "end": "12:00", "rate_per_hour": 60}]}
    ]
    s = parse_scenario(raw)
    source = s.campaigns[0].sources[0]
    assert isinstance(source, sc.PiecewiseSource)
    assert [(t - s.start_ts, r) for t, r in source.rate_changes(s)] == [
        (0.0, 0.0),
        (HOUR, 60.0),
        (3 * HOUR, 0.0),
    ]


def test_direct_construction_runs_cross_checks() -> None:
    with pytest.raises(ValidationError, match=r"not one of instance\.queues"):
        Scenario(
            start=datetime(2026, 1, 1, tzinfo=UTC),
            horizon=3600.0,
            campaigns=(Campaign(id="c", queue="nope"),),
        )


def test_direct_construction_does_not_mutate_shared_campaigns() -> None:
    campaign = Campaign(id="c", queue="default")
    s = Scenario(start=datetime(2026, 1, 1, tzinfo=UTC), horizon=3600.0, campaigns=(campaign,))
    assert campaign.source_phone_number is None
    assert s.campaigns[0].source_phone_number == "+15550100"


def test_outcomes_must_sum_to_one() -> None:
    with pytest.raises(ValidationError, match=r"sum to 1 \(got 0.95\)"):
        Outcomes(live_answer=0.30)

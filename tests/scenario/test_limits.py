"""The limits of sim/scenario/limits.py: what is refused, where, and why each bound holds.

Each bound that follows from another part of sim is pinned against it here,
so a change there that would let a valid scenario fail at run time fails
this test instead.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from scipy import integrate, stats

from sim.connect.config import CoreConfig
from sim.connect.models_campaign import CampaignName, DialAttributeName
from sim.engine.model import DRAIN_LIMIT_S
from sim.scenario import Distribution, Exponential, LogNormal, ScenarioError, limits, parse_scenario
from sim.scenario.csvlist import ATTRIBUTE_KEY

ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)


def _errors(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data)
    return info.value.errors


def _error_at(data: dict[str, Any], location: str) -> str:
    errors = _errors(data)
    found = [e for e in errors if e.startswith(f"{location}: ")]
    assert found, errors
    return found[0].split(": ", 1)[1]


# -- bounds pinned against the parts they protect ------------------------------


def test_draw_cap_lets_every_call_drain_after_the_horizon() -> None:
    # Preview review (<= 300 s) + ring (<= 60 s) + patience + talk + ACW.
    assert 300 + 60 + 3 * limits.MAX_SAMPLE_S < DRAIN_LIMIT_S


def test_campaign_bounds_match_the_api() -> None:
    assert CoreConfig.model_fields["max_campaigns"].default >= limits.MAX_CAMPAIGNS
    max_name = TypeAdapter(CampaignName)
    max_name.validate_python("x" * limits.MAX_CAMPAIGN_NAME)
    with pytest.raises(ValidationError):
        max_name.validate_python("x" * (limits.MAX_CAMPAIGN_NAME + 1))


@pytest.mark.parametrize("key", ["a", "first_name", "account-id", "A1", "first name", "é", ""])
def test_attribute_keys_are_those_the_dial_request_api_accepts(key: str) -> None:
    api = TypeAdapter(DialAttributeName)
    try:
        api.validate_python(key)
        accepted = True
    except ValidationError:
        accepted = False
    assert bool(ATTRIBUTE_KEY.fullmatch(key)) == accepted


def test_seed_bound_is_the_stores_signed_64_bit_column() -> None:
    from sim.cli import MAX_SEED

    assert limits.MAX_SEED == MAX_SEED == 2**63 - 1


def test_latest_end_is_exact_to_a_microsecond() -> None:
    end = limits.LATEST_END.timestamp()
    assert math.ulp(end + 2 * limits.DAY_S) <= 1e-6


# -- numbers are finite, bounded and of their documented type ------------------


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("seed",), 2**63, "less than or equal to 9223372036854775807"),
        (("seed",), -1, "greater than or equal to 0"),
        (("seed",), True, "not a boolean"),
        (("seed",), "42", "not text"),
        (("seed",), 4.0, "whole number"),
        (("horizon",), math.inf, "finite"),
        (("horizon",), 1e308, "at most 366d"),
        (("horizon",), "367d", "at most 366d"),
        (("horizon",), True, "not a duration"),
        (("interval",), math.nan, "finite"),
        (("instance", "concurrent_calls"), True, "not a boolean"),
        (("instance", "concurrent_calls"), 10**12, "less than or equal to 100000"),
        (("instance", "concurrent_calls"), "10", "not text"),
        (("agent_groups", 0, "staffing", 0, "agents"), True, "not a boolean"),
        (("agent_groups", 0, "staffing", 0, "agents"), 2.5, "whole number"),
        (("agent_groups", 0, "staffing", 0, "agents"), 10**6, "less than or equal to 100000"),
        (("agent_groups", 0, "shrinkage"), math.nan, "finite"),
        (("agent_groups", 0, "shrinkage"), True, "not a boolean"),
        (("campaigns", 0, "bandwidth_allocation"), "0.5", "not text"),
        (("campaigns", 0, "bandwidth_allocation"), math.inf, "finite"),
        (("campaigns", 0, "answering_machine_detection"), "yes", "true or false"),
        (("campaigns", 0, "answering_machine_detection"), 1, "true or false"),
        (("campaigns", 0, "redial", "max_attempts"), 10**9, "less than or equal to 100"),
        (("campaigns", 0, "redial", "delay"), -1, "negative"),
        (("outcomes", "live_answer"), True, "not a boolean"),
        (("api", "buffer_limit"), 10**30, "less than or equal to 10000000"),
        (("api", "quotas", "batch_put_contact", "rate"), math.inf, "finite"),
        (("api", "quotas", "batch_put_contact", "rate"), 1e-300, "greater than or equal to 0.001"),
        (("api", "quotas", "batch_put_contact", "burst"), True, "not a boolean"),
        (("api", "dialer_calls_per_second"), 1e9, "less than or equal to 1000000"),
    ],
)
def test_bad_numbers(raw: dict[str, Any], path: tuple[Any, ...], value: Any, needle: str) -> None:
    node = raw
    for step in path[:-1]:
        node = node.setdefault(step, {}) if isinstance(step, str) else node[step]
    node[path[-1]] = value
    where = "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in path).lstrip(".")
    assert needle in _error_at(raw, where)


@pytest.mark.parametrize(
    ("source", "key", "needle"),
    [
        ({"kind": "poisson", "rate_per_hour": math.inf}, "rate_per_hour", "finite"),
        ({"kind": "poisson", "rate_per_hour": 1e-320}, "rate_per_hour", "0.001"),
        ({"kind": "poisson", "rate_per_hour": 1e7}, "rate_per_hour", "1000000"),
        ({"kind": "poisson", "rate_per_hour": 60, "max_requests": True}, "max_requests", "boolean"),
        ({"kind": "poisson", "rate_per_hour": 60, "batch_size": 25.0}, "batch_size", "whole"),
        ({"kind": "poisson", "rate_per_hour": 60, "end": "400d"}, "end", "366d"),
        ({"kind": "schedule", "batches": [{"at": 0, "count": True}]}, "batches[0].count", "bool"),
    ],
)
def test_bad_source_numbers(
    raw: dict[str, Any], source: dict[str, Any], key: str, needle: str
) -> None:
    raw["campaigns"][0]["sources"] = [source]
    assert needle in _error_at(raw, f"campaigns[0].sources[0].{key}")


def test_piecewise_rate_is_zero_or_a_real_rate(raw: dict[str, Any]) -> None:
    window = {"start": "09:00", "end": "10:00", "rate_per_hour": 1e-9}
    raw["campaigns"][0]["sources"] = [{"kind": "piecewise", "rates": [window]}]
    assert "must be 0 or at least 0.001" in _error_at(
        raw, "campaigns[0].sources[0].rates[0].rate_per_hour"
    )
    window["rate_per_hour"] = 0
    parse_scenario(raw)


# -- instants ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "needle"),
    [
        (1_700_000_000, "ISO-8601 instant"),
        (1.7e9, "ISO-8601 instant"),
        (True, "ISO-8601 instant"),
        ("1700000000", "is not an ISO-8601 instant"),
        ("tomorrow", "is not an ISO-8601 instant"),
        ("2026-10-06T09:00:00", "UTC offset"),
        ("1969-12-31T23:00:00Z", "between 1970"),
        ("9999-12-31T23:00:00-04:00", "between 1970"),
        ("2026-13-06T09:00:00Z", "start"),
    ],
)
def test_start_is_iso_8601_text_in_range(raw: dict[str, Any], start: Any, needle: str) -> None:
    raw["start"] = start
    errors = _errors(raw)
    assert any(e.startswith("start: ") and needle in e for e in errors), errors


def test_start_plus_horizon_must_be_representable(raw: dict[str, Any]) -> None:
    raw["start"] = "2199-12-01T00:00:00Z"
    raw["horizon"] = "60d"
    assert "at or before 2200-01-01" in _error_at(raw, "horizon")
    raw["horizon"] = "31d"
    parse_scenario(raw)


def test_interval_count_is_bounded(raw: dict[str, Any]) -> None:
    raw["horizon"], raw["interval"] = "366d", "1s"
    assert "31,622,400 reporting intervals" in _error_at(raw, "interval")


def test_agents_at_once_are_bounded_over_all_groups(raw: dict[str, Any]) -> None:
    group = raw["agent_groups"][0]
    raw["agent_groups"] = [
        {
            **group,
            "name": f"g{i}",
            "staffing": [{"start": "09:00", "end": "10:00", "agents": 60_000}],
        }
        for i in range(2)
    ]
    assert "120,000 agents are scheduled at once at 09:00" in _error_at(raw, "agent_groups")
    raw["agent_groups"][1]["staffing"][0].update(start="10:00", end="11:00")
    parse_scenario(raw)  # the same people could work both shifts: 60,000 at once


def test_campaign_ids_names_and_instance_ids_the_api_accepts(raw: dict[str, Any]) -> None:
    campaign = raw["campaigns"][0]
    campaign.update(id="camp 1")
    assert "v1 API accepts (no spaces)" in _error_at(raw, "campaigns[0].id")
    campaign.update(id="camp_1", api="v2")
    assert "v2 API accepts" in _error_at(raw, "campaigns[0].id")
    campaign.update(id="camp-1", name="n" * 128)
    assert "at most 127 characters" in _error_at(raw, "campaigns[0].name")
    campaign.update(name="n" * 127)
    raw["instance"]["id"] = "my instance"
    assert "not an instance id" in _error_at(raw, "instance.id")


def test_too_many_campaigns(raw: dict[str, Any]) -> None:
    raw["campaigns"] = [
        {"id": f"c{i}", "queue": "sales", "bandwidth_allocation": 0.001} for i in range(501)
    ]
    assert "at most 500 item(s)" in _error_at(raw, "campaigns")


# -- distributions: finite parameters, draws within the cap --------------------


@pytest.mark.parametrize(
    ("raw_dist", "needle"),
    [
        ({"kind": "lognormal", "mean": 1e308, "sd": 1}, "at most 366d"),
        ({"kind": "lognormal", "mean": "3m", "sd": 1e308}, "at most 366d"),
        ({"kind": "lognormal", "mean": "7h", "sd": 1}, "at most 6h"),
        ({"kind": "lognormal", "mean": "1h", "sd": "2h"}, "longer than 6h"),
        ({"kind": "lognormal", "mean": 0.001, "sd": "6h"}, "longer than 6h"),
        ({"kind": "lognormal", "mean": 1e-300, "sd": 1}, "at least 0.001s"),
        ({"kind": "exponential", "mean": "1h"}, "longer than 6h"),
        ({"kind": "exponential", "mean": math.inf}, "finite"),
        ({"kind": "exponential", "mean": 5e-324}, "at least 0.001s"),
        ({"kind": "uniform", "low": 0, "high": "7h"}, "at most 6h"),
        ({"kind": "empirical", "samples": [1, math.inf]}, "finite"),
        ({"kind": "empirical", "samples": [1, "1d"]}, "at most 6h"),
        ({"kind": "fixed", "value": "6h1s"}, "at most 6h"),
        ("1e400", "finite"),
        (True, "not a duration"),
    ],
)
def test_bad_distributions(raw_dist: Any, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        ADAPTER.validate_python(raw_dist)


@pytest.mark.parametrize(
    "dist",
    [
        Exponential(mean_s=3_000.0),  # the cap cuts < 1% of the mean
        LogNormal(mean_s=1_800.0, sd=1_800.0),
        LogNormal(mean_s=0.001, sd=0.05),
    ],
    ids=["exponential-50m", "lognormal-30m-30m", "lognormal-1ms"],
)
def test_draws_at_the_bounds_are_finite_and_capped(dist: Distribution) -> None:
    draw = dist.sampler(random.Random(3))
    draws = [draw() for _ in range(20_000)]
    assert all(0.0 <= d <= limits.MAX_SAMPLE_S for d in draws)
    assert math.isfinite(sum(draws))


def test_capped_share_is_what_the_cap_cuts() -> None:
    """The refused share is E[X; X > cap] / mean, by numerical integration."""
    cap = limits.MAX_SAMPLE_S
    for dist, law in (
        (LogNormal(mean_s=300.0, sd=600.0), None),
        (Exponential(mean_s=3_000.0), stats.expon(scale=3_000.0)),
    ):
        if law is None:
            mu, sigma = dist.mu_sigma  # type: ignore[union-attr]
            law = stats.lognorm(s=sigma, scale=math.exp(mu))
        tail, _ = integrate.quad(lambda x, law=law: x * law.pdf(x), cap, math.inf)
        share = dist.capped_share()
        assert 0.001 < share < limits.MAX_CAPPED_MEAN_SHARE
        assert share == pytest.approx(tail / dist.mean(), rel=1e-6)

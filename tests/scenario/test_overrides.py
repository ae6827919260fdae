from __future__ import annotations

import pytest

from sim.scenario import ScenarioError, apply_overrides, load_scenario
from sim.scenario.overrides import parse_path

from .helpers import SCENARIOS

QUICK = SCENARIOS / "quickstart.yaml"


def test_parse_path() -> None:
    assert parse_path("agent_groups[0].staffing[1].agents") == [
        "agent_groups",
        0,
        "staffing",
        1,
        "agents",
    ]
    for bad in ("", ".a", "a..b", "a[x]", "a[0"):
        with pytest.raises(ValueError, match="path"):
            parse_path(bad)


def test_overrides_apply_and_revalidate() -> None:
    s = load_scenario(QUICK)
    out = apply_overrides(
        s,
        {
            "agent_groups[0].staffing[0].agents": 30,
            "campaigns[0].mode": "predictive",
            "campaigns[0].ring_timeout": "45s",
            "horizon": "3h",
            "durations.talk": "2m",
        },
    )
    assert out.agent_groups[0].staffing[0].agents == 30
    assert out.campaigns[0].mode == "predictive"
    assert out.campaigns[0].ring_timeout == 45.0
    assert out.horizon == 3 * 3600
    assert out.durations.talk.mean() == 120.0
    assert s.agent_groups[0].staffing[0].agents == 20  # the original is untouched
    assert apply_overrides(s, {}) == s


def test_derived_defaults_follow_overrides() -> None:
    s = load_scenario(SCENARIOS / "predictive_vs_progressive.yaml")
    out = apply_overrides(
        s,
        {
            "campaigns[0].id": "renamed",
            "api.quotas.batch_put_contact.rate": 4,
            "instance.phone_numbers": ["+15550777"],
        },
    )
    assert out.campaigns[0].name == "renamed"
    assert out.api.dialer_calls_per_second == 4.0
    assert out.campaigns[0].source_phone_number == "+15550777"


def test_override_of_unset_optional_submodel() -> None:
    s = load_scenario(QUICK)
    own = {
        "live_answer": 0.5,
        "voicemail": 0.3,
        "no_answer": 0.1,
        "busy": 0.05,
        "invalid_number": 0.05,
    }
    out = apply_overrides(s, {"campaigns[0].outcomes": own})
    assert out.campaigns[0].effective_outcomes(out).live_answer == 0.5


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"campaigns[3].mode": "agentless"}, "campaigns[3] does not exist (the list has 1 items)"),
        ({"campaigns[0].modee": "x"}, "campaigns[0].modee does not exist; keys there: id, name"),
        ({"seed.x": 1}, "seed.x does not exist"),
        ({"a..b": 1}, "malformed path"),
        (
            {"campaigns[0].ring_timeout": "2m"},
            "after overrides: campaigns[0].ring_timeout: must be",
        ),
        ({"campaigns[0].queue": "nope"}, "after overrides: campaigns[0].queue: 'nope'"),
    ],
)
def test_bad_overrides(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(ScenarioError) as info:
        apply_overrides(load_scenario(QUICK), overrides)
    assert any(needle in e for e in info.value.errors), info.value.errors

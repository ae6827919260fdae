"""Every cross-field check, and that all errors come out together with locations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sim.scenario import ScenarioError, parse_scenario

from .helpers import SCENARIOS


def _errors(data: dict[str, Any], base_dir: Path | None = None) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, base_dir=base_dir)
    return info.value.errors


def _one(data: dict[str, Any], needle: str, base_dir: Path | None = None) -> str:
    errors = _errors(data, base_dir)
    matches = [e for e in errors if needle in e]
    assert matches, errors
    return matches[0]


def test_campaign_queue_must_exist(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["queue"] = "sales2"
    assert _one(raw, "sales2") == (
        "campaigns[0].queue: 'sales2' is not one of instance.queues ['sales']"
    )


def test_agent_group_queue_must_exist(raw: dict[str, Any]) -> None:
    raw["agent_groups"][0]["queue"] = "support"
    assert _one(raw, "support").startswith("agent_groups[0].queue: 'support' is not one of")


def test_queue_required_unless_agentless(raw: dict[str, Any]) -> None:
    del raw["campaigns"][0]["queue"]
    assert _one(raw, "queue") == "campaigns[0].queue: required for progressive campaigns"


def test_agentless_takes_no_queue(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["mode"] = "agentless"
    assert "agentless campaigns use no agents" in _one(raw, "campaigns[0].queue")


def test_source_phone_number_must_be_claimed(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["source_phone_number"] = "+15550999"
    assert "is not claimed by the instance" in _one(raw, "source_phone_number")


def test_unique_ids_and_names(raw: dict[str, Any]) -> None:
    raw["campaigns"].append({"id": "camp-1", "mode": "agentless"})
    raw["agent_groups"].append(dict(raw["agent_groups"][0]))
    errors = _errors(raw)
    assert "campaigns[1].id: duplicate id 'camp-1' (also campaigns[0])" in errors
    assert "agent_groups[1].name: duplicate name 'team-a' (also agent_groups[0])" in errors


def test_instance_lists_unique(raw: dict[str, Any]) -> None:
    raw["instance"] = {"queues": ["a", "a"], "phone_numbers": ["+15550100", "+15550100"]}
    errors = _errors(raw)
    assert any(e.startswith("instance.queues: must be unique; repeated: 'a'") for e in errors)
    assert any(e.startswith("instance.phone_numbers: must be unique") for e in errors)


def test_bandwidth_sum_per_queue(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["bandwidth_allocation"] = 0.7
    raw["campaigns"].append({"id": "camp-2", "queue": "sales", "bandwidth_allocation": 0.6})
    message = _one(raw, "bandwidth_allocation")
    assert message.startswith("campaigns: bandwidth_allocation of the campaigns on queue 'sales'")
    assert "1.3" in message and "camp-1 0.7" in message and "camp-2 0.6" in message


def test_bandwidth_sum_of_exactly_one_is_fine(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["bandwidth_allocation"] = 0.7
    raw["campaigns"].append({"id": "camp-2", "queue": "sales", "bandwidth_allocation": 0.3})
    parse_scenario(raw)


def test_agentless_capacity_sum(raw: dict[str, Any]) -> None:
    raw["campaigns"] = [
        {"id": "a", "mode": "agentless", "dialing_capacity": 0.8},
        {"id": "b", "mode": "agentless", "dialing_capacity": 0.5},
    ]
    assert "dialing_capacity of the agentless campaigns sums to 1.3" in _one(raw, "dialing")


def test_preview_requires_v2(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["mode"] = "preview"
    assert _one(raw, ".api") == (
        "campaigns[0].api: preview mode requires api v2 (PutOutboundRequestBatch)"
    )
    raw["campaigns"][0]["api"] = "v2"
    parse_scenario(raw)


@pytest.mark.parametrize(
    ("window", "ok"), [("30m", False), ("1h", True), ("PT24H", True), ("25h", False)]
)
def test_predictive_evaluation_window(raw: dict[str, Any], window: str, ok: bool) -> None:
    raw["campaigns"][0]["predictive"] = {"evaluation_window": window}
    if ok:
        parse_scenario(raw)
    else:
        assert "must be between 1h and 24h" in _one(
            raw, "campaigns[0].predictive.evaluation_window"
        )


def test_ring_timeout_message(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["ring_timeout"] = "90s"
    assert _one(raw, "ring_timeout") == (
        "campaigns[0].ring_timeout: must be between 15s and 60s (got 1m30s)"
    )


@pytest.mark.parametrize(
    ("schedule", "needle"),
    [
        ([{"at": "1h", "action": "resume"}], "schedule[0].action: cannot resume at 1h"),
        ([{"at": "1h", "action": "stop"}, {"at": "2h", "action": "resume"}], "stopped"),
        ([{"at": "1h", "action": "pause"}, {"at": "2h", "action": "start"}], "not been started"),
        ([{"at": "2h", "action": "pause"}, {"at": "1h", "action": "resume"}], "time order"),
        ([{"at": "1h", "action": "pause"}, {"at": "1h", "action": "start"}], "schedule[0]"),
        ([{"at": "1h", "action": "start"}, {"at": "2h", "action": "start"}], "already running"),
    ],
)
def test_schedule_order(raw: dict[str, Any], schedule: list[Any], needle: str) -> None:
    raw["campaigns"][0]["schedule"] = schedule
    assert any(needle in e for e in _errors(raw))


def test_schedule_sensible_orders_pass(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["schedule"] = [
        {"at": "30m", "action": "start"},
        {"at": "1h", "action": "pause"},
        {"at": "2h", "action": "resume"},
        {"at": "3h", "action": "stop"},
    ]
    s = parse_scenario(raw)
    assert not s.campaigns[0].starts_running()


def test_csv_path_and_columns(raw: dict[str, Any]) -> None:
    source: dict[str, Any] = {"kind": "csv", "path": "lists/blast.csv"}
    raw["campaigns"][0]["sources"] = [source]
    s = parse_scenario(raw, base_dir=SCENARIOS)
    csv_source = s.campaigns[0].sources[0]
    assert csv_source.path.is_absolute()  # type: ignore[union-attr]
    source["path"] = "lists/missing.csv"
    assert "file not found" in _one(raw, "sources[0].path", base_dir=SCENARIOS)
    source.update(path="lists/blast.csv", phone_column="phone", attribute_columns=["zip"])
    errors = _errors(raw, base_dir=SCENARIOS)
    assert any(
        e.startswith("campaigns[0].sources[0].phone_column: 'phone' is not a column")
        for e in errors
    )
    assert any(e.startswith("campaigns[0].sources[0].attribute_columns[0]: 'zip'") for e in errors)


def test_csv_rows(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["sources"] = [
        {"kind": "csv", "path": "lists/blast.csv", "attribute_columns": ["account_id"]}
    ]
    source = parse_scenario(raw, base_dir=SCENARIOS).campaigns[0].sources[0]
    rows = list(source.rows())  # type: ignore[union-attr]
    assert len(rows) == 2_000
    assert rows[0] == ("+12015550100", {"account_id": "ACC-100000"})


def test_field_and_cross_field_errors_reported_together(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["ring_timeout"] = "5s"  # field error: this campaign fails
    raw["campaigns"].append({"id": "camp-2", "queue": "nope"})  # cross-field in another
    raw["agent_groups"][0]["staffing"][0]["agents"] = -1
    raw["outcomes"] = {"live_answer": 0.3}
    errors = _errors(raw)
    assert any(
        e.startswith("campaigns[0].ring_timeout: must be between 15s and 60s") for e in errors
    )
    assert "campaigns[1].queue: 'nope' is not one of instance.queues ['sales']" in errors
    assert any(e.startswith("agent_groups[0].staffing[0].agents: must be greater") for e in errors)
    assert "outcomes: probabilities must sum to 1 (got 0.95)" in errors


def test_error_locations_drop_union_tags(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["sources"] = [{"kind": "poisson", "rate_per_hour": -1}]
    raw["durations"] = {"talk": "-3m", "patience": {"kind": "exponential", "mean": 0}}
    errors = _errors(raw)
    assert any(
        e.startswith("campaigns[0].sources[0].rate_per_hour: must be greater") for e in errors
    )
    assert any(e.startswith("durations.talk: ") for e in errors)
    assert any(e.startswith("durations.patience.mean: must be at least 0.001s") for e in errors)


def test_unknown_key_suggests(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["ring_timout"] = "30s"
    message = _one(raw, "ring_timout")
    assert message.startswith("campaigns[0].ring_timout: unknown key; did you mean 'ring_timeout'?")


def test_bad_kind_and_naive_start(raw: dict[str, Any]) -> None:
    raw["campaigns"][0]["sources"] = [{"kind": "lottery"}, {"count": 3}]
    raw["start"] = "2026-10-06T09:00:00"
    errors = _errors(raw)
    assert any(
        e.startswith("campaigns[0].sources[0].kind: 'lottery' is not one of") for e in errors
    )
    assert any(e.startswith("campaigns[0].sources[1].kind: missing 'kind'") for e in errors)
    assert any(e.startswith("start: must include a UTC offset") for e in errors)


def test_unquoted_phone_number_hint(raw: dict[str, Any]) -> None:
    raw["instance"]["phone_numbers"] = [15550100]
    assert "quoted E.164" in _one(raw, "instance.phone_numbers[0]")


@pytest.mark.parametrize(
    ("data", "needle"),
    [(None, "empty"), ([1, 2], "mapping"), ("text", "mapping"), ({1: 2}, "keys must be text")],
)
def test_top_level_shape(data: Any, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        parse_scenario(data)


def test_scenario_error_str_is_all_lines() -> None:
    error = ScenarioError(["a: x", "b: y", "a: x"])
    assert error.errors == ["a: x", "b: y"]
    assert str(error) == "a: x\nb: y"


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("campaigns", [5], "campaigns[0]: must be a mapping of keys to values, not a whole number"),
        ("instance", "big", "instance: must be a mapping of keys to values, not text"),
    ],
)
def test_a_value_where_a_mapping_belongs_names_no_class(
    raw: dict[str, Any], where: str, value: Any, message: str
) -> None:
    """Before: 'must be a valid dictionary or instance of Campaign', a class
    name the planner never wrote."""
    raw[where] = value
    errors = _errors(raw)
    assert any(e.startswith(message) for e in errors), errors
    assert not any("instance of" in e for e in errors), errors

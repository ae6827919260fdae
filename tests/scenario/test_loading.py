from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.scenario import (
    ScenarioError,
    load_scenario,
    parse_scenario,
    resolved_dict,
    scenario_json_schema,
)

from .helpers import MINIMAL, SCENARIOS
from .make_lists import BLAST_CSV, blast_csv_text

GOOD = sorted(SCENARIOS.glob("*.yaml"))
BAD = sorted((SCENARIOS / "bad").glob("*.yaml"))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_every_scenario_file_loads(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.campaigns


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_resolved_dict_round_trip(path: Path) -> None:
    scenario = load_scenario(path)
    data = resolved_dict(scenario)
    again = parse_scenario(json.loads(json.dumps(data)))
    assert again == scenario
    assert resolved_dict(again) == data


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_scenarios_fail_with_scenario_error(path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert info.value.errors


def test_bad_files_report_several_errors_with_lines() -> None:
    for name, at_least in (("field_errors.yaml", 8), ("cross_field.yaml", 10)):
        with pytest.raises(ScenarioError) as info:
            load_scenario(SCENARIOS / "bad" / name)
        errors = info.value.errors
        assert len(errors) >= at_least, errors
        assert all(f"({name} line " in e for e in errors), errors


def test_error_points_at_yaml_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL, sort_keys=False).replace("queue: sales\n", "queue: sales2\n", 1)
    lines = text.splitlines()
    line = next(i for i, s in enumerate(lines, 1) if "sales2" in s)
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    expected = "agent_groups[0].queue: 'sales2' is not one of instance.queues ['sales']"
    assert info.value.errors == [f"{expected} (s.yaml line {line})"]


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "name: x\ncampaigns: [\n  {id: a\n  {id: b}\n")
    with pytest.raises(ScenarioError, match=r"s\.yaml:4:3: YAML syntax error"):
        load_scenario(path)


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"^seed: duplicate key 'seed' \(s\.yaml line 2\)$"):
        load_scenario(_write(tmp_path, "seed: 1\nseed: 2\n"))


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="empty"):
        load_scenario(_write(tmp_path, "# nothing\n"))
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(_write(tmp_path, "- a\n- b\n"))


def test_yaml_12_scalars(tmp_path: Path) -> None:
    """12:00 stays a time, `on` stays a key, +1555... stays a phone number."""
    text = """
start: 2026-10-06T09:00:00-04:00
horizon: 8h
instance: {queues: [sales], phone_numbers: [+15550100]}
agent_groups:
  - {name: a, queue: sales, staffing: [{start: 9:00, end: 12:00, agents: 3}]}
campaigns:
  - {id: c, queue: sales, redial: {max_attempts: 2, on: [NO_ANSWER]}}
"""
    s = load_scenario(_write(tmp_path, text))
    assert s.agent_groups[0].staffing[0].start == 9 * 3600
    assert s.agent_groups[0].staffing[0].end == 12 * 3600
    assert s.instance.phone_numbers == ("+15550100",)
    assert s.campaigns[0].redial.on == ("NO_ANSWER",)


def test_csv_path_relative_to_scenario_file(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "x.csv").write_text("phone_number,name\n+15550100,a\n")
    data: dict[str, Any] = json.loads(json.dumps(MINIMAL))
    data["campaigns"][0]["sources"] = [{"kind": "csv", "path": "lists/x.csv"}]
    path = _write(tmp_path, yaml.safe_dump(data))
    source = load_scenario(path).campaigns[0].sources[0]
    assert source.path == (tmp_path / "lists" / "x.csv").resolve()  # type: ignore[union-attr]
    assert source.attribute_names() == ["name"]  # type: ignore[union-attr]


def test_committed_blast_list_matches_generator() -> None:
    assert BLAST_CSV.read_text(encoding="utf-8") == blast_csv_text()


def test_json_schema_is_sensible() -> None:
    schema = scenario_json_schema()
    json.dumps(schema)
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"start", "horizon", "campaigns"}
    horizon = schema["properties"]["horizon"]
    assert {"string", "number"} <= {alt["type"] for alt in horizon["anyOf"]}
    assert "duration" in horizon["description"].lower() or "horizon" in horizon["description"]
    defs = schema["$defs"]
    assert defs["Exponential"]["properties"]["mean"]  # the alias, as written in YAML
    assert defs["Campaign"]["additionalProperties"] is False
    talk = defs["CallDurations"]["properties"]["talk"]
    assert any(alt.get("type") == "string" for alt in talk["anyOf"])


def _keys(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set(schema.get("properties", {}))
    for definition in schema.get("$defs", {}).values():
        names |= set(definition.get("properties", {}))
    return names


def test_reference_documents_every_key() -> None:
    text = (SCENARIOS.parent / "docs" / "scenario.md").read_text(encoding="utf-8")
    missing = sorted(
        k for k in _keys(scenario_json_schema()) if f"`{k}" not in text and f".{k}`" not in text
    )
    assert not missing, f"docs/scenario.md lacks: {missing}"


def test_answer_rates_file_errors_name_each_key_and_line(tmp_path: Path) -> None:
    """A table in its own file (``answer_rates_by_hour: rates.yaml``): each problem
    is named by its key and line in that file, as it would be inline; before,
    every one read ``campaigns[0].answer_rates_by_hour: required``."""
    (tmp_path / "rates.yaml").write_text(
        "source: test\nhours:\n  8: {live_answer: 2, voicemail: 0}\nweekday: {}\n",
        encoding="utf-8",
    )
    scenario = (SCENARIOS / "national_4zones.yaml").read_text(encoding="utf-8")
    scenario = scenario.replace("lists/", f"{SCENARIOS}/lists/").replace(
        "profiles/answer_rates_by_hour.yaml", "rates.yaml"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, scenario))
    (error,) = info.value.errors
    assert error.startswith("campaigns[0].answer_rates_by_hour: rates.yaml: ")
    for problem in (
        "hours[8].live_answer: must be less than or equal to 1 (got 2) (rates.yaml line",
        "hours[8].no_answer: required (rates.yaml line",
        "hours[8].invalid_number: required (rates.yaml line",
        "weekday: unknown key; allowed: source, hours, weekday_live_factor, amd"
        " (rates.yaml line 4)",
    ):
        assert problem in error
    assert error.endswith("(s.yaml line 50)")


@pytest.mark.parametrize(("text", "found"), [("", "empty"), ("- 1\n", "a list")])
def test_an_answer_rates_file_that_holds_no_table_is_an_error(
    tmp_path: Path, text: str, found: str
) -> None:
    """Before: 'must be a valid dictionary or instance of AnswerRatesTable',
    a class name the planner never wrote."""
    (tmp_path / "rates.yaml").write_text(text, encoding="utf-8")
    scenario = (SCENARIOS / "national_4zones.yaml").read_text(encoding="utf-8")
    scenario = scenario.replace("lists/", f"{SCENARIOS}/lists/").replace(
        "profiles/answer_rates_by_hour.yaml", "rates.yaml"
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, scenario))
    assert info.value.errors == [
        f"campaigns[0].answer_rates_by_hour: rates.yaml: {found}, expected a mapping"
        " with keys source, hours, weekday_live_factor, amd (s.yaml line 50)"
    ]

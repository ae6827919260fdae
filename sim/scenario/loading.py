"""Reading scenarios: YAML files, plain mappings, JSON Schema, the resolved dict.

The YAML rules and limits are in ``sim.scenario.yamlfile``; this module turns
the document into a validated Scenario and puts file lines on its errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, pydantic_errors
from sim.scenario.model import Scenario
from sim.scenario.validation import cross_field_errors, salvage
from sim.scenario.yamlfile import add_lines, line_index, read_document


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; every problem is a ScenarioError with its line."""
    return read_document(path)[0]


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and return the scenario in a YAML file.

    CSV paths are resolved relative to the file's folder. Every problem is
    reported at once in a ScenarioError, with YAML line numbers.
    """
    path = Path(path)
    data, root = read_document(path)
    try:
        return parse_scenario(data, base_dir=path.resolve().parent)
    except ScenarioError as exc:
        raise ScenarioError(add_lines(exc.errors, path, line_index(root))) from None


def _top_level_error(data: Any) -> str | None:
    if data is None:
        return "(top level): the scenario is empty; expected a mapping such as 'start: ...'"
    if not isinstance(data, Mapping):
        return f"(top level): must be a mapping of keys to values, not a {type(data).__name__}"
    bad = [k for k in data if not isinstance(k, str)]
    if bad:
        return f"(top level): keys must be text, got {', '.join(map(repr, bad))}"
    return None


def parse_scenario(data: Any, base_dir: Path | None = None) -> Scenario:
    """Validate a mapping (parsed YAML or JSON) into a Scenario.

    Field errors and cross-field errors are gathered together and raised as
    one ScenarioError. Relative CSV paths are taken from ``base_dir`` (default:
    the current directory). Never raises anything but ScenarioError for bad data.
    """
    if (problem := _top_level_error(data)) is not None:
        raise ScenarioError([problem])
    raw = dict(data)
    context = {"base_dir": base_dir, "defer_cross_checks": True}
    errors: list[str] = []
    scenario: Scenario | None = None
    try:
        scenario = Scenario.model_validate(raw, context=context)
        parts = scenario.parts()
    except ValidationError as exc:
        errors += pydantic_errors(exc, raw, Scenario)
        parts = salvage(raw, context, Scenario.defaults())
    errors += cross_field_errors(parts)
    if errors or scenario is None:
        raise ScenarioError(errors or ["(top level): invalid scenario"])
    return scenario


def resolved_dict(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain JSON data with every default filled in.

    Durations and times of day are float seconds, paths absolute, ``start``
    ISO-8601 with its offset. ``parse_scenario`` of it gives an equal Scenario.
    """
    return scenario.model_dump(mode="json", by_alias=True)


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the scenario file, for editors."""
    schema = Scenario.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "sim scenario",
        **schema,
    }

"""Reading scenarios: YAML files, plain mappings, JSON Schema, the resolved dict.

YAML is read with YAML 1.2 scalar rules, because YAML 1.1 (PyYAML's default)
silently turns ``12:00`` into 720 and ``on`` into True. A number with a
leading ``+`` stays text, so ``+15550100`` is a phone number, not 15550100.
Duplicate keys are errors.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError, pydantic_errors
from sim.scenario.model import Scenario
from sim.scenario.validation import Parts, cross_field_errors, salvage

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:-?[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_PARENT = re.compile(r"(\.[^.\[\]]*|\[\d+\])$")  # last step of a location
_DROPPED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",  # pydantic parses the text, one code path for JSON and YAML
}


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and numbers, and no duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, _regexp, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-0123456789"),
    ("float", _FLOAT, "-+0123456789."),
):
    _Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", _regexp, list(_first))


def read_yaml(path: Path) -> Any:
    """The YAML document in ``path``; syntax errors become ScenarioError with line:column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([f"{where}: YAML syntax error: {problem}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{path}: YAML error: {exc}"]) from None


def _line_index(text: str) -> dict[str, int]:
    """Formatted location -> 1-based line, for every node of a YAML document."""
    lines: dict[str, int] = {}

    def walk(node: yaml.Node, where: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{where}.{key.value}" if where else str(key.value)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{where}[{i}]"] = item.start_mark.line + 1
                walk(item, f"{where}[{i}]")

    try:
        root = yaml.compose(text, Loader=_Loader)  # _Loader is a SafeLoader
    except yaml.YAMLError:
        return lines
    if root is not None:
        walk(root, "")
    return lines


def _nearest_line(location: str, lines: Mapping[str, int]) -> int | None:
    while location in lines or _PARENT.search(location):
        if location in lines:
            return lines[location]
        location = _PARENT.sub("", location)
    return None


def _add_lines(errors: list[str], path: Path) -> list[str]:
    lines = _line_index(path.read_text(encoding="utf-8"))
    out = []
    for error in errors:
        location = error.split(": ", 1)[0]
        line = _nearest_line(location, lines)
        out.append(f"{error} ({path.name} line {line})" if line else error)
    return out


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and return the scenario in a YAML file.

    CSV paths are resolved relative to the file's folder. Every problem is
    reported at once in a ScenarioError, with YAML line numbers.
    """
    path = Path(path)
    data = read_yaml(path)
    try:
        return parse_scenario(data, base_dir=path.resolve().parent)
    except ScenarioError as exc:
        raise ScenarioError(_add_lines(exc.errors, path)) from None


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
        parts = Parts.of(scenario)
    except ValidationError as exc:
        errors += pydantic_errors(exc, raw, Scenario)
        parts = salvage(raw, context)
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

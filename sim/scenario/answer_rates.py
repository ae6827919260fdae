"""Answer rates by the recipient's local hour: an outcome table for calling-hours campaigns.

``answer_rates_by_hour`` is either the table itself or the path of a YAML
file holding it (relative to the scenario's folder, like a CSV list), such
as ``scenarios/profiles/answer_rates_by_hour.yaml``. Each dial of the
campaign draws its outcome from the row of the recipient's local hour (its
zone comes from ``communication_time``), with ``live_answer`` scaled by the
weekday's factor and the difference taken from ``no_answer``; an hour not in
the table uses the campaign's ``outcomes``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from sim.scenario.base import Frozen, Probability
from sim.scenario.dialing_day import Weekday
from sim.scenario.telephony import OUTCOME_TOLERANCE, AmdErrors

WEEKDAYS: tuple[Weekday, ...] = (
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
)
Hour = Annotated[int, Field(ge=0, le=23)]  # lax: JSON keys of a resolved scenario are text
Factor = Annotated[float, Strict(), Field(gt=0.0, le=5.0, allow_inf_nan=False)]


class HourRates(Frozen):
    """The five outcome probabilities of one local hour; they sum to 1."""

    live_answer: Probability
    voicemail: Probability
    no_answer: Probability
    busy: Probability
    invalid_number: Probability
    amd: AmdErrors | None = Field(
        default=None,
        description="AMD error rates of the dials placed in this local hour;"
        " null = the table's (or the campaign's).",
    )

    @model_validator(mode="after")
    def _sums_to_one(self) -> HourRates:
        total = math.fsum(self.row())
        if abs(total - 1.0) > OUTCOME_TOLERANCE:
            raise ValueError(f"probabilities must sum to 1 (got {total:.6g})")
        return self

    def row(self) -> tuple[float, float, float, float, float]:
        return (self.live_answer, self.voicemail, self.no_answer, self.busy, self.invalid_number)


def _from_file(value: Any, info: ValidationInfo) -> Any:
    """A path (text) is read as the YAML table it names."""
    if not isinstance(value, str):
        return value
    from sim.scenario.errors import ScenarioError
    from sim.scenario.yamlfile import read_document

    context: dict[str, Any] = info.context or {}
    base = Path(context.get("base_dir") or Path.cwd())
    path = (base / Path(value).expanduser()).resolve()
    if not path.is_file():
        raise ValueError(f"file not found: {path}")
    try:
        data, root = read_document(path)
    except ScenarioError as exc:
        raise ValueError(str(exc)) from None
    return _table_in(path, data, root)


def _table_in(path: Path, data: Any, root: Any) -> AnswerRatesTable:
    """The table read from ``path``, validated here: the scenario's error
    locations end at the path (text), so each problem is named by its key and
    line in this file, all on one line."""
    from sim.scenario.errors import pydantic_errors
    from sim.scenario.yamlfile import add_lines, line_index

    if not isinstance(data, dict):
        found = "empty" if data is None else f"a {'list' if isinstance(data, list) else 'value'}"
        keys = ", ".join(AnswerRatesTable.model_fields)
        raise ValueError(f"{path.name}: {found}, expected a mapping with keys {keys}")
    try:
        return AnswerRatesTable.model_validate(data)
    except ValidationError as exc:
        problems = add_lines(pydantic_errors(exc, data, AnswerRatesTable), path, line_index(root))
        raise ValueError(f"{path.name}: " + "; ".join(problems)) from None


class AnswerRatesTable(Frozen):
    """Outcome probabilities by the recipient's local hour, and a live factor by weekday."""

    source: Annotated[str, Field(max_length=2000)] = Field(
        default="", description="What the figures are based on (a citation)."
    )
    hours: dict[Hour, HourRates] = Field(min_length=1)
    weekday_live_factor: dict[Weekday, Factor] = Field(default_factory=dict)
    amd: AmdErrors | None = Field(
        default=None, description="The campaign's AMD error rates while this table is used."
    )

    @model_validator(mode="after")
    def _room_for_factors(self) -> AnswerRatesTable:
        problems = []
        for day, factor in self.weekday_live_factor.items():
            for hour, rates in self.hours.items():
                if rates.no_answer - rates.live_answer * (factor - 1.0) < -OUTCOME_TOLERANCE:
                    problems.append(f"{day} x hour {hour}")
        if problems:
            raise ValueError(
                "weekday_live_factor takes more live answers than no_answer leaves in: "
                + ", ".join(problems)
            )
        return self

    def amd_by_hour(self) -> dict[int, AmdErrors]:
        """The hours that have AMD error rates of their own."""
        return {hour: rates.amd for hour, rates in self.hours.items() if rates.amd is not None}

    def cumulative(self, weekday: int, hour: int) -> tuple[float, float, float, float] | None:
        """Cumulative (live, +machine, +no answer, +busy) of a weekday (0 = Monday) and
        local hour; None if the hour is not in the table."""
        rates = self.hours.get(hour)
        if rates is None:
            return None
        live, machine, none, busy, _ = rates.row()
        factor = self.weekday_live_factor.get(WEEKDAYS[weekday], 1.0)
        none -= live * (factor - 1.0)
        live *= factor
        return (live, live + machine, live + machine + none, live + machine + none + busy)


def _table_or_path(schema: dict[str, Any]) -> None:
    """The JSON schema of the key: the table, or the path of a file holding one."""
    table = dict(schema)
    schema.clear()
    schema["anyOf"] = [
        table,
        {"type": "string", "description": "Path of a YAML file holding the table."},
    ]


AnswerRates = Annotated[
    AnswerRatesTable,
    BeforeValidator(_from_file),
    Field(json_schema_extra=_table_or_path),
]

"""The base model every scenario part derives from, and small shared types."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, Strict, WithJsonSchema

from sim.scenario import limits

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class Frozen(BaseModel):
    """Immutable, and unknown keys are errors (a typo never passes silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _as_phone_number(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML reads +15550100 as the integer 15550100 and drops the '+'.
        raise ValueError(f"must be a quoted E.164 string, e.g. '+{value}'")
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise ValueError(f"{value!r} is not an E.164 phone number (e.g. '+15550100')")
    return value


PhoneNumber = Annotated[
    str,
    BeforeValidator(_as_phone_number),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^{_E164.pattern}$",
            "description": "E.164, e.g. '+15550100'.",
        }
    ),
]
"""An E.164 phone number such as ``+15550100``."""

# Numbers are strict: a boolean is not a number, a string is not a number
# (only durations and times of day may be written as text), and a float is
# not a count. Every float is finite.

Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
"""A probability in [0, 1]."""

Share = Annotated[float, Strict(), Field(gt=0.0, le=1.0, allow_inf_nan=False)]
"""A share in (0, 1]."""

RatePerHour = Annotated[
    float,
    Strict(),
    Field(ge=limits.MIN_RATE_PER_HOUR, le=limits.MAX_RATE_PER_HOUR, allow_inf_nan=False),
]
"""Batches per hour of a source."""

ApiRate = Annotated[
    float, Strict(), Field(ge=limits.MIN_API_RATE, le=limits.MAX_API_RATE, allow_inf_nan=False)
]
"""API requests per second."""

StrictBool = Annotated[bool, Strict()]
"""true or false, nothing else."""

BatchSize = Annotated[int, Strict(), Field(ge=1, le=25)]
"""Items in one API batch: 1..25, as in PutDialRequestBatch and BatchPutContact."""

Identifier = Annotated[str, Field(min_length=1, max_length=100)]
"""An AWS-style id of 1..100 characters."""


def duplicates(values: list[Any] | tuple[Any, ...]) -> list[Any]:
    """The values that occur more than once, in first-repeat order."""
    seen: set[Any] = set()
    repeated: list[Any] = []
    for value in values:
        if value in seen and value not in repeated:
            repeated.append(value)
        seen.add(value)
    return repeated

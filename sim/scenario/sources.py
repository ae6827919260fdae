"""Dial-request sources: where a campaign's dial requests come from.

A discriminated union on ``kind``. Offsets (``at``, ``start``, ``end``) are
seconds after the scenario start; ``rates`` windows are times of day that
repeat daily. Every source has ``expires_after``: the expirationTime of each
request is its submission time plus this.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, Strict, ValidationInfo, field_validator, model_validator

from sim.scenario import csvlist
from sim.scenario.agents import Span, daily_changes
from sim.scenario.base import BatchSize, Frozen, RatePerHour
from sim.scenario.limits import (
    MAX_CSV_FIELD,
    MAX_RATE_PER_HOUR,
    MAX_REQUESTS,
    MIN_RATE_PER_HOUR,
)
from sim.scenario.units import (
    DAY,
    Duration,
    PositiveDuration,
    TimeOfDay,
    format_duration,
    format_time_of_day,
    in_daily_window,
)


def _attribute_key(name: str) -> str:
    if not csvlist.ATTRIBUTE_KEY.fullmatch(name):
        raise ValueError(
            f"{name[:60]!r} is not a dial-request attribute key ({csvlist.ATTRIBUTE_KEY_HELP})"
        )
    return name


AttributeKey = Annotated[str, Field(max_length=MAX_CSV_FIELD), AfterValidator(_attribute_key)]
"""A column sent as a dial-request attribute: its name is the attribute's key."""

_EXPIRES = Field(default=3_600.0, description="Request lifetime: expirationTime = submit + this.")


class Batch(Frozen):
    """One batch of ``count`` requests submitted ``at`` an offset from the start."""

    at: Duration
    count: BatchSize


class ScheduleSource(Frozen):
    """Fixed batches at fixed offsets."""

    kind: Literal["schedule"] = "schedule"
    batches: tuple[Batch, ...] = Field(min_length=1)
    expires_after: PositiveDuration = _EXPIRES


class PoissonSource(Frozen):
    """Batches arriving as a Poisson process between ``start`` and ``end``."""

    kind: Literal["poisson"] = "poisson"
    rate_per_hour: RatePerHour = Field(description="Batches per hour.")
    batch_size: BatchSize = 25
    start: Duration = 0.0
    end: Duration | None = Field(default=None, description="Offset; null = end of horizon.")
    max_requests: Annotated[int, Strict(), Field(ge=1, le=MAX_REQUESTS)] | None = Field(
        default=None, description="Stop after this many."
    )
    expires_after: PositiveDuration = _EXPIRES

    @model_validator(mode="after")
    def _end_after_start(self) -> PoissonSource:
        if self.end is not None and self.end <= self.start:
            raise ValueError(
                f"end ({format_duration(self.end)}) must be after start"
                f" ({format_duration(self.start)})"
            )
        return self


def _zero_or_rate(rate: float) -> float:
    if 0.0 < rate < MIN_RATE_PER_HOUR:
        raise ValueError(f"must be 0 or at least {MIN_RATE_PER_HOUR:g} (got {rate:g})")
    return rate


WindowRate = Annotated[
    float,
    Strict(),
    Field(ge=0.0, le=MAX_RATE_PER_HOUR, allow_inf_nan=False),
    AfterValidator(_zero_or_rate),
]


class RateWindow(Frozen):
    """A daily window with a constant batch arrival rate (end <= start: overnight)."""

    start: TimeOfDay
    end: TimeOfDay
    rate_per_hour: WindowRate = Field(description="Batches per hour.")


def _split(window: RateWindow) -> list[tuple[float, float]]:
    start, end = window.start % DAY, window.end % DAY
    if start < end:
        return [(start, end)]
    return [(start, DAY), (0.0, end)] if end > 0 else [(start, DAY)]


class PiecewiseSource(Frozen):
    """Poisson batch arrivals with a piecewise-constant rate by time of day.

    Outside every window the rate is 0. Windows must not overlap.
    """

    kind: Literal["piecewise"] = "piecewise"
    batch_size: BatchSize = 25
    rates: tuple[RateWindow, ...] = Field(min_length=1)
    expires_after: PositiveDuration = _EXPIRES

    @model_validator(mode="after")
    def _no_overlap(self) -> PiecewiseSource:
        pieces = sorted((a, b, i) for i, w in enumerate(self.rates) for a, b in _split(w))
        for (_, end, i), (start, _, j) in itertools.pairwise(pieces):
            if start < end and i != j:
                first, second = sorted((i, j))
                raise ValueError(
                    f"rates[{second}] overlaps rates[{first}] around {format_time_of_day(start)}"
                )
        return self

    def rate_at(self, seconds_after_midnight: float) -> float:
        """Batches per hour at a time of day (0 outside every window)."""
        for window in self.rates:
            if in_daily_window(window.start, window.end, seconds_after_midnight):
                return window.rate_per_hour
        return 0.0

    def rate_changes(self, scenario: Span) -> list[tuple[float, float]]:
        """(POSIX time, batches per hour) at each rate change over the horizon."""
        bounds = {t for w in self.rates for t in (w.start, w.end)}
        return daily_changes(scenario, bounds, self.rate_at)


class CsvSource(Frozen):
    """A file of phone numbers, one request per row, with optional attributes.

    ``path`` is relative to the scenario file's folder and is stored resolved
    (absolute). ``attribute_columns`` null means every column but the phone.
    """

    kind: Literal["csv"] = "csv"
    path: Path
    phone_column: Annotated[str, Field(min_length=1, max_length=MAX_CSV_FIELD)] = "phone_number"
    attribute_columns: tuple[AttributeKey, ...] | None = None
    at: Duration = Field(default=0.0, description="Offset of the first batch.")
    batch_size: BatchSize = 25
    rate_per_hour: RatePerHour | None = Field(
        default=None, description="Batches per hour; null = as fast as the API allows."
    )
    expires_after: PositiveDuration = _EXPIRES

    @field_validator("path", mode="after")
    @classmethod
    def _resolve(cls, path: Path, info: ValidationInfo) -> Path:
        context: dict[str, Any] = info.context or {}
        base = context.get("base_dir") or Path.cwd()
        try:
            resolved = (Path(base) / path.expanduser()).resolve()
            found = resolved.is_file()
        except (OSError, RuntimeError) as exc:  # e.g. ~nobody/, a name too long
            raise ValueError(f"cannot use this path: {exc}") from None
        if not found:
            raise ValueError(f"file not found: {resolved}")
        return resolved

    def header(self) -> list[str]:
        """The column names in the file's first row (empty for an empty file)."""
        return csvlist.header(self.path)

    def attribute_names(self) -> list[str]:
        """The columns sent as dial-request attributes."""
        if self.attribute_columns is not None:
            return list(self.attribute_columns)
        return [c for c in self.header() if c != self.phone_column]

    def rows(self) -> Iterator[tuple[str, dict[str, str]]]:
        """(phone number, attributes) per data row that validates, in file order.

        Rows with problems (which ``sim validate`` reports) are skipped, so
        reading never raises on the file's contents, even if the file changed
        after it was validated. The phone number is stripped of spaces.
        """
        return csvlist.Scan(self.path, self.phone_column, self.attribute_columns).rows()


Source = Annotated[
    ScheduleSource | PoissonSource | PiecewiseSource | CsvSource, Field(discriminator="kind")
]
"""Any dial-request source."""

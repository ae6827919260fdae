"""Agent groups, their daily staffing and breaks, and staffing over a horizon."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Annotated, Protocol, TypeVar

from pydantic import Field, Strict

from sim.scenario.base import Frozen, Identifier, Share
from sim.scenario.distributions import Distribution, Fixed
from sim.scenario.limits import MAX_AGENTS
from sim.scenario.units import DAY, PositiveDuration, TimeOfDay, in_daily_window


class Span(Protocol):
    """The simulated span of a run (a Scenario is one): its start and end."""

    @property
    def start(self) -> datetime: ...

    @property
    def start_ts(self) -> float: ...

    @property
    def end_ts(self) -> float: ...


V = TypeVar("V")


class Shift(Frozen):
    """``agents`` logged in from ``start`` to ``end`` every day.

    ``end <= start`` means the shift runs overnight into the next day
    (``end == start``: all day).
    """

    start: TimeOfDay
    end: TimeOfDay
    agents: Annotated[int, Strict(), Field(ge=0, le=MAX_AGENTS)]

    def covers(self, seconds_after_midnight: float) -> bool:
        return in_daily_window(self.start, self.end, seconds_after_midnight)


class Break(Frozen):
    """A daily break; agents take it when they next become free after ``start``."""

    start: TimeOfDay
    duration: PositiveDuration
    agents_fraction: Share = Field(
        default=1.0, description="Share of the group's agents who take it."
    )


class AgentGroup(Frozen):
    """Agents serving one queue, staffed by daily shifts."""

    name: Identifier
    queue: Identifier
    staffing: tuple[Shift, ...] = ()
    after_contact_work: Distribution = Fixed(value=0.0)
    shrinkage: Annotated[float, Strict(), Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = Field(
        default=0.0, description="Fraction of scheduled time unavailable."
    )
    breaks: tuple[Break, ...] = ()

    def agents_at(self, seconds_after_midnight: float) -> int:
        """Scheduled headcount at a time of day: the sum over covering shifts.

        Overlapping shifts add up. Shrinkage is not applied here.
        """
        return sum(s.agents for s in self.staffing if s.covers(seconds_after_midnight))

    def boundaries(self) -> set[float]:
        """Times of day at which the headcount may change."""
        return {t % DAY for s in self.staffing for t in (s.start, s.end)}


def seconds_after_midnight(moment: datetime) -> float:
    """Wall-clock seconds since local midnight of an aware datetime."""
    return moment.hour * 3_600.0 + moment.minute * 60.0 + moment.second + moment.microsecond / 1e6


def daily_changes(
    scenario: Span, boundaries: Iterable[float], value_at: Callable[[float], V]
) -> list[tuple[float, V]]:
    """When a daily-repeating value changes over the horizon, as (POSIX time, value).

    ``boundaries`` are the times of day at which ``value_at`` (a function of
    the time of day) may change. Days follow the start's timezone on the wall
    clock. The first entry is at ``start_ts``; later ones only where the value
    differs from the previous entry, strictly before ``end_ts``.
    """
    start, tz = scenario.start, scenario.start.tzinfo
    end_ts = scenario.end_ts
    changes = [(scenario.start_ts, value_at(seconds_after_midnight(start)))]
    day = start.date()
    last_day = datetime.fromtimestamp(end_ts, tz).date()
    ordered = sorted({b % DAY for b in boundaries})
    while day <= last_day:
        midnight = datetime(day.year, day.month, day.day, tzinfo=tz)
        for boundary in ordered:
            t = (midnight + timedelta(seconds=boundary)).timestamp()
            if scenario.start_ts < t < end_ts:
                value = value_at(boundary)
                if value != changes[-1][1]:
                    changes.append((t, value))
        day += timedelta(days=1)
    return changes


def staffing_changes(scenario: Span, group: AgentGroup) -> list[tuple[float, int]]:
    """Absolute times (POSIX) at which ``group``'s scheduled headcount changes.

    Each entry is (time, new headcount); the first is (start_ts, headcount at
    the start). Staffing repeats every day of the horizon in the start's
    timezone; an overnight shift of the previous day is on at the start.
    """
    return daily_changes(scenario, group.boundaries(), group.agents_at)

"""Typed, read-only v2 planning settings of a campaign, built from the wire models.

The wire models (sim/connect/models_v2_config.py) check shapes; this module
checks what the botocore model cannot state and turns the settings into
plain frozen records the engine reads: open hours as minutes since local
midnight per weekday, restricted periods as local date ranges, limits as
(count, window seconds), the schedule as POSIX seconds. Every problem is
reported with its member path; see docs/connect.md "Calling hours, limits
and schedule" for the rules and their AWS sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sim.connect.errors import join_problems
from sim.connect.ids import to_posix
from sim.connect.models_v2_config import CommunicationLimits as WireLimits
from sim.connect.models_v2_config import (
    CommunicationLimitsConfig,
    CommunicationTimeConfig,
    DayOfWeek,
    InstanceLimitsHandling,
    Schedule,
    TimeWindow,
)

DAY_S = 86400.0
MINUTES_PER_DAY = 1440
WEEKDAYS: tuple[DayOfWeek, ...] = tuple(DayOfWeek)  # Monday first, as date.weekday()
Detection = Literal["AREA_CODE", "ZIP_CODE"]
_DURATION = re.compile(
    r"^P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$",
    re.ASCII,
)

Range = tuple[int, int]  # [start, end) minutes since local midnight, 0 <= start < end <= 1440


class ConfigError(ValueError):
    """Settings the wire shape allows but the simulator cannot honour; ``problems``
    names each one as ``path: message``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(join_problems(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """When a channel may reach a recipient, in the recipient's local time.

    ``open_hours[d]`` are the sorted, merged ranges of weekday ``d`` (0 =
    Monday); a weekday absent from ``dailyHours`` has none (closed).
    ``restricted`` are sorted, merged local date ranges [start, end) on which
    nothing is open (the end date is exclusive, as the admin guide states).
    """

    open_hours: tuple[tuple[Range, ...], ...]
    restricted: tuple[tuple[date, date], ...]


@dataclass(frozen=True, slots=True)
class CommunicationTime:
    """``communicationTimeConfig`` as the dialer uses it (telephony only).

    ``telephony`` None: no open hours configured, so every instant is open.
    ``detection`` keeps the request's order: the first method that resolves
    a recipient's zone wins, then ``default_zone``.
    """

    default_zone: str | None
    detection: tuple[Detection, ...]
    scope: str | None
    telephony: CallingWindow | None


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_count`` communications per recipient in any rolling ``window_s``."""

    max_count: int
    window_s: float


@dataclass(frozen=True, slots=True)
class CampaignLimits:
    """A campaign's own limits, and whether the instance's limits apply to it
    (OPT_IN, the default) or not (OPT_OUT: neither checked nor counted)."""

    limits: tuple[Limit, ...]
    instance_limits: bool


@dataclass(frozen=True, slots=True)
class CampaignSchedule:
    """``schedule``: the campaign dials in [start, end) and completes at ``end``."""

    start: float
    end: float
    refresh_s: float | None

    def active(self, t: float) -> bool:
        return self.start <= t < self.end


# -- conversions -----------------------------------------------------------------


def _minutes(value: str, path: str, *, end: bool, problems: list[str]) -> int:
    hours, minutes = int(value[1:3]), int(value[4:6])
    total = hours * 60 + minutes
    if minutes > 59 or total > MINUTES_PER_DAY or (total == MINUTES_PER_DAY and not end):
        problems.append(f"{path}: {value!r} is not a time of day (T00:00 to T23:59)")
        return -1
    # An end of T00:00 (or T24:00) is the midnight that closes the day.
    return MINUTES_PER_DAY if end and total == 0 else total


def _merge(ranges: list[Range]) -> tuple[Range, ...]:
    out: list[Range] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)


def _open_hours(
    window: TimeWindow, path: str, problems: list[str]
) -> tuple[tuple[Range, ...], ...]:
    daily = window.openHours.dailyHours or {}
    days: list[list[Range]] = [[] for _ in WEEKDAYS]
    for day, ranges in daily.items():
        for i, r in enumerate(ranges):
            where = f'{path}.openHours.dailyHours["{day.value}"][{i}]'
            start = _minutes(r.startTime, f"{where}.startTime", end=False, problems=problems)
            stop = _minutes(r.endTime, f"{where}.endTime", end=True, problems=problems)
            if start < 0 or stop < 0:
                continue
            if stop <= start:
                problems.append(
                    f"{where}: endTime {r.endTime} is not after startTime {r.startTime}"
                    " (a range cannot cross midnight; give the next day its own range)"
                )
                continue
            days[WEEKDAYS.index(day)].append((start, stop))
    return tuple(_merge(d) for d in days)


def _restricted(
    window: TimeWindow, path: str, problems: list[str]
) -> tuple[tuple[date, date], ...]:
    periods = window.restrictedPeriods.restrictedPeriodList if window.restrictedPeriods else None
    out: list[tuple[date, date]] = []
    for i, p in enumerate(periods or ()):
        where = f"{path}.restrictedPeriods.restrictedPeriodList[{i}]"
        try:
            start, end = date.fromisoformat(p.startDate), date.fromisoformat(p.endDate)
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if end < start:
            problems.append(f"{where}: endDate {p.endDate} is before startDate {p.startDate}")
        elif end > start:  # end is exclusive: an equal pair blocks nothing
            out.append((start, end))
    merged: list[tuple[date, date]] = []
    for start, end in sorted(out):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def calling_window(window: TimeWindow, path: str, problems: list[str]) -> CallingWindow:
    """One channel's TimeWindow as a CallingWindow; problems appended to ``problems``."""
    return CallingWindow(_open_hours(window, path, problems), _restricted(window, path, problems))


def valid_zone(name: str) -> bool:
    """Whether ``name`` is an IANA zone the tz database (or the tzdata package) knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def communication_time(
    wire: CommunicationTimeConfig, path: str = "communicationTimeConfig"
) -> CommunicationTime:
    """The typed settings of a validated wire config; ConfigError naming every problem."""
    problems: list[str] = []
    tz = wire.localTimeZoneConfig
    default = tz.defaultTimeZone or None
    if default is not None and not valid_zone(default):
        problems.append(
            f"{path}.localTimeZoneConfig.defaultTimeZone: unknown IANA time zone {default!r}"
        )
    detection: tuple[Detection, ...] = tuple(
        dict.fromkeys(d.value for d in tz.localTimeZoneDetection or ())
    )
    if default is None and not detection:
        problems.append(
            f"{path}.localTimeZoneConfig: give defaultTimeZone or localTimeZoneDetection"
            " (AWS drops every recipient whose time zone it cannot determine)"
        )
    scope = tz.localTimeZoneDetectionScope
    telephony = None
    if wire.telephony is not None:
        telephony = calling_window(wire.telephony, f"{path}.telephony", problems)
    if problems:
        raise ConfigError(problems)
    return CommunicationTime(default, detection, scope.value if scope else None, telephony)


def limits_of(wire: WireLimits | None) -> tuple[Limit, ...]:
    """The (count, rolling window) pairs of a CommunicationLimits union (unit DAY)."""
    if wire is None or wire.communicationLimitsList is None:
        return ()
    return tuple(
        Limit(lim.maxCountPerRecipient, lim.frequency * DAY_S)
        for lim in wire.communicationLimitsList
    )


def communication_limits(wire: CommunicationLimitsConfig) -> CampaignLimits:
    """``communicationLimitsOverride``; instanceLimitsHandling defaults to OPT_IN."""
    opt_out = wire.instanceLimitsHandling == InstanceLimitsHandling.OPT_OUT
    return CampaignLimits(limits_of(wire.allChannelSubtypes), not opt_out)


def duration_s(value: str) -> float:
    """Seconds of an ISO-8601 duration matching the model's pattern (days to seconds)."""
    m = _DURATION.match(value)
    if m is None:
        raise ValueError(f"{value!r} is not an ISO-8601 duration")
    days, hours, minutes, seconds, fraction = m.groups()
    total = int(days or 0) * DAY_S + int(hours or 0) * 3600.0 + int(minutes or 0) * 60.0
    total += int(seconds or 0)
    if fraction:
        total += (-1 if (seconds or "").startswith("-") else 1) * float(f"0.{fraction}")
    return total


def campaign_schedule(wire: Schedule, path: str = "schedule") -> CampaignSchedule:
    """The typed schedule; ConfigError if it ends before (or when) it starts."""
    start, end = to_posix(wire.startTime), to_posix(wire.endTime)
    if end <= start:
        raise ConfigError([f"{path}.endTime: must be after startTime"])
    refresh = duration_s(wire.refreshFrequency) if wire.refreshFrequency else None
    return CampaignSchedule(start, end, refresh)

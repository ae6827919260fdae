"""A v2 campaign's dialing day in the scenario: calling hours and schedule.

``communication_time`` takes the v2 ``communicationTimeConfig`` shape as is
(camelCase members, ``T09:00`` times, ISO dates), so a block copied from a
boto3 script or the API reference works unchanged; only ``telephony`` is
used (the simulator has no other channel). ``campaign_schedule`` is the v2
``schedule`` (``start_time``, ``end_time``: instants with a UTC offset).
Every rule the core applies to these settings (sim.connect.v2config) is
checked here, with its location, so a scenario that validates never fails
at CreateCampaign. Sources: docs/connect.md "Calling hours, contact limits,
retries and schedule (v2)".
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, Strict, field_validator, model_validator

from sim.scenario.base import Frozen
from sim.scenario.units import Instant

Weekday = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
Detection = Literal["AREA_CODE", "ZIP_CODE"]
TimeOfDay = Annotated[
    str, Field(pattern=r"^T[0-9]{2}:[0-9]{2}$", description="T09:00 (24 h, local time).")
]
_MIDNIGHT = 24 * 60


def _minutes(value: str, *, end: bool) -> int:
    """Minutes after local midnight; an end of T00:00 or T24:00 is the closing midnight."""
    hours, minutes = int(value[1:3]), int(value[4:6])
    total = hours * 60 + minutes
    if minutes > 59 or total > _MIDNIGHT or (total == _MIDNIGHT and not end):
        raise ValueError(f"{value!r} is not a time of day (T00:00 to T23:59)")
    return _MIDNIGHT if end and total == 0 else total


class TimeRange(Frozen):
    """One open range of a weekday; it cannot cross midnight."""

    startTime: TimeOfDay
    endTime: TimeOfDay

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        start = _minutes(self.startTime, end=False)
        stop = _minutes(self.endTime, end=True)
        if stop <= start:
            raise ValueError(
                f"endTime {self.endTime} is not after startTime {self.startTime}"
                " (a range cannot cross midnight; give the next day its own range)"
            )
        return self


class OpenHours(Frozen):
    """Open ranges per weekday in the recipient's local time; a weekday left out is closed."""

    dailyHours: dict[Weekday, tuple[TimeRange, ...]]


class RestrictedPeriod(Frozen):
    """Local dates on which nothing is dialed: startDate <= d < endDate (end exclusive)."""

    name: Annotated[str, Field(min_length=1, max_length=127)] | None = None
    startDate: date
    endDate: date

    @model_validator(mode="after")
    def _ordered(self) -> RestrictedPeriod:
        if self.endDate < self.startDate:
            raise ValueError(f"endDate {self.endDate} is before startDate {self.startDate}")
        return self


class RestrictedPeriods(Frozen):
    restrictedPeriodList: tuple[RestrictedPeriod, ...]


class TimeWindow(Frozen):
    """When the telephony channel may reach a recipient."""

    openHours: OpenHours
    restrictedPeriods: RestrictedPeriods | None = None


class LocalTimeZoneConfig(Frozen):
    """The recipient's zone: detected (in this order), else the default."""

    defaultTimeZone: Annotated[str, Field(max_length=50)] | None = None
    localTimeZoneDetection: tuple[Detection, ...] | None = None
    localTimeZoneDetectionScope: Literal["PRIMARY_ONLY", "ALL_AVAILABLE"] | None = None

    @field_validator("defaultTimeZone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _some_zone(self) -> LocalTimeZoneConfig:
        if not self.defaultTimeZone and not self.localTimeZoneDetection:
            raise ValueError(
                "give defaultTimeZone or localTimeZoneDetection"
                " (AWS drops every recipient whose time zone it cannot determine)"
            )
        return self


class CommunicationTime(Frozen):
    """v2 ``communicationTimeConfig`` (telephony only)."""

    localTimeZoneConfig: LocalTimeZoneConfig
    telephony: TimeWindow | None = None

    def wire(self) -> dict[str, Any]:
        """The CreateCampaign member (dates as ISO text)."""
        return self.model_dump(mode="json", exclude_none=True)


class CommunicationLimit(Frozen):
    """At most ``maxCountPerRecipient`` contacts per recipient in any rolling
    ``frequency`` days (``unit`` is only DAY in the v2 model; 14 days = two weeks)."""

    maxCountPerRecipient: Annotated[int, Strict(), Field(ge=1, le=1000)]
    frequency: Annotated[int, Strict(), Field(ge=1, le=30)]
    unit: Literal["DAY"] = "DAY"


class CommunicationLimits(Frozen):
    communicationLimitsList: tuple[CommunicationLimit, ...] = Field(min_length=1, max_length=2)


class CommunicationLimitsConfig(Frozen):
    """v2 ``communicationLimitsOverride`` of a campaign."""

    allChannelSubtypes: CommunicationLimits | None = None
    instanceLimitsHandling: Literal["OPT_IN", "OPT_OUT"] | None = Field(
        default=None, description="OPT_OUT: the instance's limits neither apply nor count."
    )

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class InstanceLimits(Frozen):
    """The instance's limits (PutInstanceCommunicationLimits), over all v2 campaigns."""

    allChannelSubtypes: CommunicationLimits

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class CampaignSchedule(Frozen):
    """v2 ``schedule``: the campaign dials in [start_time, end_time) and then completes."""

    start_time: Instant
    end_time: Instant

    @model_validator(mode="after")
    def _ordered(self) -> CampaignSchedule:
        if self.end_time <= self.start_time:
            raise ValueError("end_time must be after start_time")
        return self

    def wire(self) -> dict[str, Any]:
        """The CreateCampaign member (aware datetimes: the core reads them as instants)."""
        return {"startTime": self.start_time, "endTime": self.end_time}

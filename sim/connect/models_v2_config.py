"""Outbound campaigns v2 planning settings, as wire models (connectcampaignsv2 2024-04-23).

``communicationTimeConfig`` (calling hours and the recipient's time zone),
``communicationLimitsOverride`` / instance communication limits, and
``schedule``. Field names are the camelCase wire names; constraints mirror
the botocore model (tests/connect/test_oracle.py compares them). The
semantic checks AWS leaves unstated (a real IANA zone, ranges that end after
they start...) live in :mod:`sim.connect.v2config`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from sim.connect.models_campaign import Timestamp, UnionModel
from sim.connect.patterns import java

_WIRE = ConfigDict(extra="ignore")

Opaque = dict[str, Any]
TimeZoneName = Annotated[str, Field(max_length=50, pattern=r"^[a-zA-Z0-9_\-/]*$")]
Iso8601Time = Annotated[str, Field(pattern=java(r"T\d{2}:\d{2}"))]
Iso8601Date = Annotated[str, Field(pattern=java(r"\d{4}-\d{2}-\d{2}"))]
Iso8601Duration = Annotated[
    str,
    Field(
        max_length=50,
        pattern=r"^P(?:([-+]?[0-9]+)D)?(T(?:([-+]?[0-9]+)H)?(?:([-+]?[0-9]+)M)?"
        r"(?:([-+]?[0-9]+)(?:[.,]([0-9]{0,9}))?S)?)?$",
    ),
]


class DayOfWeek(StrEnum):
    MONDAY = "MONDAY"
    TUESDAY = "TUESDAY"
    WEDNESDAY = "WEDNESDAY"
    THURSDAY = "THURSDAY"
    FRIDAY = "FRIDAY"
    SATURDAY = "SATURDAY"
    SUNDAY = "SUNDAY"


class LocalTimeZoneDetectionType(StrEnum):
    ZIP_CODE = "ZIP_CODE"
    AREA_CODE = "AREA_CODE"


class LocalTimeZoneDetectionScope(StrEnum):
    PRIMARY_ONLY = "PRIMARY_ONLY"
    ALL_AVAILABLE = "ALL_AVAILABLE"


class CommunicationLimitTimeUnit(StrEnum):
    DAY = "DAY"


class InstanceLimitsHandling(StrEnum):
    OPT_IN = "OPT_IN"
    OPT_OUT = "OPT_OUT"


class TimeRange(BaseModel):
    model_config = _WIRE

    startTime: Iso8601Time
    endTime: Iso8601Time


class OpenHours(UnionModel):
    dailyHours: dict[DayOfWeek, list[TimeRange]] | None = None


class RestrictedPeriod(BaseModel):
    model_config = _WIRE

    name: Annotated[str, Field(min_length=1, max_length=127)] | None = None
    startDate: Iso8601Date
    endDate: Iso8601Date


class RestrictedPeriods(UnionModel):
    restrictedPeriodList: list[RestrictedPeriod] | None = None


class TimeWindow(BaseModel):
    model_config = _WIRE

    openHours: OpenHours
    restrictedPeriods: RestrictedPeriods | None = None


class LocalTimeZoneConfig(BaseModel):
    model_config = _WIRE

    defaultTimeZone: TimeZoneName | None = None
    localTimeZoneDetection: list[LocalTimeZoneDetectionType] | None = None
    localTimeZoneDetectionScope: LocalTimeZoneDetectionScope | None = None


class CommunicationTimeConfig(BaseModel):
    model_config = _WIRE

    localTimeZoneConfig: LocalTimeZoneConfig
    telephony: TimeWindow | None = None
    sms: TimeWindow | None = None
    email: TimeWindow | None = None
    whatsApp: TimeWindow | None = None


class CommunicationLimit(BaseModel):
    model_config = _WIRE

    maxCountPerRecipient: Annotated[int, Strict(), Field(ge=1)]
    frequency: Annotated[int, Strict(), Field(ge=1, le=30)]
    unit: CommunicationLimitTimeUnit


class CommunicationLimits(UnionModel):
    communicationLimitsList: Annotated[list[CommunicationLimit], Field(max_length=2)] | None = None


class CommunicationLimitsConfig(BaseModel):
    model_config = _WIRE

    allChannelSubtypes: CommunicationLimits | None = None
    instanceLimitsHandling: InstanceLimitsHandling | None = None


class InstanceCommunicationLimitsConfig(BaseModel):
    model_config = _WIRE

    allChannelSubtypes: CommunicationLimits | None = None


class Schedule(BaseModel):
    model_config = _WIRE

    startTime: Timestamp
    endTime: Timestamp
    refreshFrequency: Iso8601Duration | None = None

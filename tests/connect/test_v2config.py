"""The typed v2 settings: time-of-day rules, date ranges, durations, defaults."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from sim.connect.limits import ContactLedger
from sim.connect.models_v2_config import (
    CommunicationLimitsConfig,
    CommunicationTimeConfig,
    Schedule,
)
from sim.connect.v2config import (
    DAY_S,
    CommunicationTime,
    ConfigError,
    Limit,
    campaign_schedule,
    communication_limits,
    communication_time,
    duration_s,
)


def config(
    ranges: list[tuple[str, str]], periods: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    return {
        "localTimeZoneConfig": {"defaultTimeZone": "Europe/London"},
        "telephony": {
            "openHours": {
                "dailyHours": {"MONDAY": [{"startTime": s, "endTime": e} for s, e in ranges]}
            },
            "restrictedPeriods": {
                "restrictedPeriodList": [{"startDate": s, "endDate": e} for s, e in periods or []]
            },
        },
    }


def typed(
    ranges: list[tuple[str, str]], periods: list[tuple[str, str]] | None = None
) -> CommunicationTime:
    return communication_time(CommunicationTimeConfig.model_validate(config(ranges, periods)))


def test_midnight_end_overlaps_and_closed_days() -> None:
    ct = typed([("T20:00", "T00:00"), ("T08:00", "T12:00"), ("T11:00", "T13:00")])
    assert ct.telephony is not None
    assert ct.telephony.open_hours[0] == ((480, 780), (1200, 1440))
    assert ct.telephony.open_hours[1:] == ((),) * 6  # absent weekdays are closed
    assert typed([("T00:00", "T24:00")]).telephony.open_hours[0] == ((0, 1440),)


def test_restricted_periods_merge_and_equal_dates_block_nothing() -> None:
    ct = typed(
        [("T09:00", "T17:00")],
        [("2024-07-04", "2024-07-06"), ("2024-07-05", "2024-07-08"), ("2024-12-25", "2024-12-25")],
    )
    assert ct.telephony is not None
    assert ct.telephony.restricted == ((date(2024, 7, 4), date(2024, 7, 8)),)


def test_every_problem_is_named() -> None:
    with pytest.raises(ConfigError) as info:
        typed(
            [("T09:60", "T10:00"), ("T24:00", "T24:00"), ("T10:00", "T10:00")],
            [("2024-02-30", "2024-03-01")],
        )
    problems = info.value.problems
    assert len(problems) == 4, problems
    assert any("'T09:60' is not a time of day" in p for p in problems)
    assert any("[1].startTime: 'T24:00'" in p for p in problems)
    assert any("endTime T10:00 is not after startTime T10:00" in p for p in problems)
    assert any("restrictedPeriodList[0]" in p and "day is out of range" in p for p in problems)


def test_no_zone_at_all_is_refused_and_detection_keeps_order() -> None:
    with pytest.raises(ConfigError, match="give defaultTimeZone or localTimeZoneDetection"):
        communication_time(CommunicationTimeConfig.model_validate({"localTimeZoneConfig": {}}))
    ct = communication_time(
        CommunicationTimeConfig.model_validate(
            {
                "localTimeZoneConfig": {
                    "localTimeZoneDetection": ["AREA_CODE", "ZIP_CODE", "AREA_CODE"]
                }
            }
        )
    )
    assert ct.detection == ("AREA_CODE", "ZIP_CODE") and ct.telephony is None


def test_limits_default_to_opting_in() -> None:
    limits = communication_limits(CommunicationLimitsConfig.model_validate({}))
    assert limits.limits == () and limits.instance_limits


def test_durations_and_schedules() -> None:
    assert duration_s("P1D") == DAY_S
    assert duration_s("PT1H30M") == 5400
    assert duration_s("PT0.5S") == 0.5
    assert duration_s("P") == 0
    with pytest.raises(ValueError):
        duration_s("1 day")
    s = campaign_schedule(
        Schedule.model_validate(
            {"startTime": "2024-01-01T00:00:00", "endTime": 1704153600, "refreshFrequency": "P1D"}
        )
    )
    assert (s.start, s.end, s.refresh_s) == (1704067200.0, 1704153600.0, DAY_S)
    assert s.active(s.start) and not s.active(s.end)


def test_ledger_keeps_more_than_255_contacts() -> None:
    ledger = ContactLedger([Limit(300, DAY_S)], epoch=0)
    for i in range(300):
        ledger.record("+15550001", 10.0 + i)
    assert not ledger.allowed("+15550001", 400.0)
    assert ledger.next_allowed("+15550001", 400.0) == 10.0 + DAY_S

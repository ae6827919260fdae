from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.scenario.units import (
    format_duration,
    format_time_of_day,
    in_daily_window,
    parse_duration,
    parse_time_of_day,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("8h", 28_800.0),
        ("1h30m", 5_400.0),
        ("1h 30m", 5_400.0),
        ("2d", 172_800.0),
        ("250ms", 0.25),
        ("1.5s", 1.5),
        ("PT1H", 3_600.0),
        ("PT1H30M", 5_400.0),
        ("P1DT2H", 93_600.0),
        ("PT0.5S", 0.5),
        ("P1W", 604_800.0),
        ("45", 45.0),
        ("2.5", 2.5),
        (45, 45.0),
        (0.25, 0.25),
        (0, 0.0),
    ],
)
def test_parse_duration(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["", "5 minutes", "1x", "-5s", -1, "5m30m", "P", "PT", True, None, [], math.inf, "h"]
)
def test_parse_duration_rejects(text: object) -> None:
    with pytest.raises(ValueError, match=r"duration|negative|finite"):
        parse_duration(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (30, "30s"), (90, "1m30s"), (5_400, "1h30m"), (86_400, "1d"), (0.25, "0.25s")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_duration_round_trip(seconds: float) -> None:
    assert parse_duration(format_duration(seconds)) == pytest.approx(seconds, abs=1e-6)


@given(st.integers(min_value=0, max_value=10**8))
def test_whole_seconds_round_trip_exactly(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("09:00", 32_400.0),
        ("9:30", 34_200.0),
        ("09:30:15", 34_215.0),
        ("24:00", 86_400.0),
        (60, 60.0),
    ],
)
def test_parse_time_of_day(text: str | float, seconds: float) -> None:
    assert parse_time_of_day(text) == seconds


@pytest.mark.parametrize("text", ["25:00", "09:60", "9", "noon", -1, 90_000, True])
def test_parse_time_of_day_rejects(text: object) -> None:
    with pytest.raises(ValueError, match=r"time of day|negative"):
        parse_time_of_day(text)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=86_399))
def test_time_of_day_round_trip(seconds: int) -> None:
    assert parse_time_of_day(format_time_of_day(seconds)) == seconds


def test_daily_windows() -> None:
    assert in_daily_window(9 * 3600, 17 * 3600, 9 * 3600)
    assert not in_daily_window(9 * 3600, 17 * 3600, 17 * 3600)
    assert in_daily_window(22 * 3600, 6 * 3600, 23 * 3600)  # overnight
    assert in_daily_window(22 * 3600, 6 * 3600, 1 * 3600)
    assert not in_daily_window(22 * 3600, 6 * 3600, 12 * 3600)
    assert in_daily_window(0, 0, 12 * 3600)  # start == end: all day

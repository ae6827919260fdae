"""Calling hours: open / next opening / closing, DST-correct, against a wall-clock oracle."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sim.connect.hours import ALWAYS_OPEN, AllOf, CallingHours, HoursBook, next_open_through
from sim.connect.v2config import CallingWindow

ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Australia/Sydney",
         "America/St_Johns", "Pacific/Honolulu", "Asia/Kolkata"]  # fmt: skip
NY = ZoneInfo("America/New_York")


def window(ranges: list[tuple[int, int]], days: tuple[int, ...] = tuple(range(7)),
           restricted: tuple[tuple[date, date], ...] = ()) -> CallingWindow:  # fmt: skip
    hours = tuple(tuple(ranges) if d in days else () for d in range(7))
    return CallingWindow(hours, restricted)


def ts(zone: str, *args: int) -> float:
    return datetime(*args, tzinfo=ZoneInfo(zone)).timestamp()  # type: ignore[misc]


def wall_open(w: CallingWindow, zone: str, t: float) -> bool:
    """The oracle: read the wall clock of ``t`` and look the rules up."""
    local = datetime.fromtimestamp(t, ZoneInfo(zone))
    if any(s <= local.date() < e for s, e in w.restricted):
        return False
    minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 6e7
    return any(s <= minute < e for s, e in w.open_hours[local.weekday()])


# -- examples a planner would check by hand ---------------------------------------


def test_nine_to_five_weekdays_in_new_york() -> None:
    h = CallingHours(window([(540, 1020)], days=(0, 1, 2, 3, 4)), "America/New_York")
    monday_8 = ts("America/New_York", 2024, 6, 3, 8, 0)
    assert not h.is_open(monday_8)
    assert h.next_open(monday_8) == ts("America/New_York", 2024, 6, 3, 9, 0)
    assert h.closes_at(ts("America/New_York", 2024, 6, 3, 12, 0)) == ts(
        "America/New_York", 2024, 6, 3, 17, 0
    )
    friday_18 = ts("America/New_York", 2024, 6, 7, 18, 0)
    assert h.next_open(friday_18) == ts("America/New_York", 2024, 6, 10, 9, 0)  # Monday


def test_the_east_opens_three_hours_before_the_west() -> None:
    w = window([(540, 1260)])
    east, west = CallingHours(w, "America/New_York"), CallingHours(w, "America/Los_Angeles")
    t = ts("America/New_York", 2024, 6, 4, 9, 0)
    assert east.is_open(t) and not west.is_open(t)
    assert west.next_open(t) == t + 3 * 3600


def test_restricted_period_end_date_is_exclusive() -> None:
    w = window([(540, 1020)], restricted=((date(2024, 7, 4), date(2024, 7, 5)),))
    h = CallingHours(w, "America/New_York")
    assert not h.is_open(ts("America/New_York", 2024, 7, 4, 12, 0))
    assert h.is_open(ts("America/New_York", 2024, 7, 5, 12, 0))
    assert h.next_open(ts("America/New_York", 2024, 7, 4, 0, 0)) == ts(
        "America/New_York", 2024, 7, 5, 9, 0
    )


def test_open_until_midnight_runs_into_the_next_day() -> None:
    h = CallingHours(window([(0, 1440)]), "Europe/London")
    t = ts("Europe/London", 2024, 6, 4, 12, 0)
    assert h.closes_at(t) == math.inf  # every day open all day: never closes


def test_never_open_window_never_opens() -> None:
    h = CallingHours(window([], days=()), "Europe/London")
    assert h.next_open(0.0) is None and not h.is_open(0.0) and h.closes_at(5.0) == 5.0


def test_spring_forward_and_fall_back_keep_wall_clock_hours() -> None:
    h = CallingHours(window([(540, 1020)]), "America/New_York")
    for day in (date(2024, 3, 10), date(2024, 11, 3)):  # the two DST changes of 2024
        midnight = datetime(day.year, day.month, day.day, tzinfo=NY).timestamp()
        opens = h.next_open(midnight)
        assert opens is not None
        assert datetime.fromtimestamp(opens, NY).time().hour == 9
        assert h.closes_at(opens) - opens == 8 * 3600


def test_a_range_starting_in_the_skipped_hour_opens_at_the_jump() -> None:
    h = CallingHours(window([(150, 240)]), "America/New_York")  # 02:30-04:00
    jump = ts("America/New_York", 2024, 3, 10, 3, 0)  # 02:00 EST -> 03:00 EDT
    assert h.next_open(jump - 3600) == jump
    assert h.closes_at(jump) == ts("America/New_York", 2024, 3, 10, 4, 0)


def test_all_of_is_the_intersection() -> None:
    w = window([(540, 1260)])
    both = AllOf([CallingHours(w, "America/Denver"), CallingHours(w, "America/Los_Angeles")])
    t = ts("America/Denver", 2024, 6, 4, 9, 0)
    assert not both.is_open(t)
    assert both.next_open(t) == t + 3600  # 09:00 in Los Angeles
    assert both.closes_at(t + 3600) == ts("America/Denver", 2024, 6, 4, 21, 0)


def test_hours_book_caches_per_key_and_no_window_is_always_open() -> None:
    book = HoursBook(window([(540, 1020)]))
    assert book.hours(("Europe/London",)) is book.hours(("Europe/London",))
    assert isinstance(book.hours(("Europe/London", "Europe/Dublin")), AllOf)
    assert HoursBook(None).hours(("Europe/London",)) is ALWAYS_OPEN


# -- properties ------------------------------------------------------------------------

minute = st.integers(0, 1439)
ranges = st.lists(
    st.tuples(minute, st.integers(1, 720)).map(lambda p: (p[0], min(1440, p[0] + p[1]))),
    max_size=3,
)
windows = st.builds(
    lambda days, periods: CallingWindow(
        tuple(tuple(sorted(set(r))) for r in days),
        tuple(sorted(periods)),
    ),
    st.lists(ranges, min_size=7, max_size=7),
    st.lists(
        st.tuples(st.dates(date(2023, 1, 1), date(2026, 1, 1)), st.integers(1, 20)).map(
            lambda p: (p[0], p[0] + timedelta(days=p[1]))
        ),
        max_size=2,
    ).map(lambda ps: _merge_dates(ps)),
)
instants = st.floats(
    datetime(2023, 1, 1, tzinfo=UTC).timestamp(), datetime(2026, 1, 1, tzinfo=UTC).timestamp()
)


def _merge_dates(ps: list[tuple[date, date]]) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    for s, e in sorted(ps):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _merged(w: CallingWindow) -> CallingWindow:
    days = []
    for day in w.open_hours:
        out: list[tuple[int, int]] = []
        for s, e in sorted(day):
            if out and s <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], e))
            else:
                out.append((s, e))
        days.append(tuple(out))
    return CallingWindow(tuple(days), w.restricted)


def _not_repeated(zone: str, t: float) -> bool:
    return datetime.fromtimestamp(t, ZoneInfo(zone)).fold == 0


@settings(max_examples=150, deadline=None)
@given(windows, st.sampled_from(ZONES), instants)
def test_open_exactly_when_the_wall_clock_is_inside_the_rules(
    w: CallingWindow, zone: str, t: float
) -> None:
    w = _merged(w)
    assume(_not_repeated(zone, t))  # the repeated hour belongs to the first pass only
    assert CallingHours(w, zone).is_open(t) == wall_open(w, zone, t)


@settings(max_examples=100, deadline=None)
@given(windows, st.sampled_from(ZONES), instants)
def test_next_open_is_open_and_minimal(w: CallingWindow, zone: str, t: float) -> None:
    w = _merged(w)
    h = CallingHours(w, zone)
    opens = h.next_open(t)
    if opens is None:
        assert not any(w.open_hours)
        return
    assert opens >= t and h.is_open(opens)
    if opens > t:  # closed all the way from t to the opening
        assert not h.is_open(t) and not h.is_open(opens - 1e-3)
        step = max((opens - t) / 50, 1.0)
        probe = t
        while probe < opens:
            assert not h.is_open(probe)
            probe += step


@settings(max_examples=100, deadline=None)
@given(windows, st.sampled_from(ZONES), instants)
def test_closes_at_ends_the_open_stretch(w: CallingWindow, zone: str, t: float) -> None:
    h = CallingHours(_merged(w), zone)
    end = h.closes_at(t)
    if not h.is_open(t):
        assert end == t
        return
    assert end > t
    if end != math.inf:
        assert not h.is_open(end) and h.is_open(end - 1e-3)


@pytest.mark.parametrize("zone", ZONES)
def test_round_trip_across_a_year_of_dst(zone: str) -> None:
    """Every day of 2024, the window opens at 09:00 and closes at 17:00 local."""
    h = CallingHours(window([(540, 1020)]), zone)
    tz = ZoneInfo(zone)
    t = datetime(2024, 1, 1, tzinfo=tz).timestamp()
    for _ in range(366):
        opens = h.next_open(t)
        assert opens is not None
        local = datetime.fromtimestamp(opens, tz)
        assert (local.hour, local.minute) == (9, 0)
        closes = datetime.fromtimestamp(h.closes_at(opens), tz)
        assert (closes.date(), closes.hour, closes.minute) == (local.date(), 17, 0)
        t = h.closes_at(opens)


@settings(max_examples=60, deadline=None)
@given(windows, windows, st.sampled_from(ZONES), st.sampled_from(ZONES), instants)
def test_all_of_opens_only_when_every_member_is_open(
    a: CallingWindow, b: CallingWindow, za: str, zb: str, t: float
) -> None:
    ha, hb = CallingHours(_merged(a), za), CallingHours(_merged(b), zb)
    both = AllOf([ha, hb])
    assert both.is_open(t) == (ha.is_open(t) and hb.is_open(t))
    opens = both.next_open(t)
    if opens is not None:
        assert opens >= t and ha.is_open(opens) and hb.is_open(opens)
        closes = both.closes_at(opens)
        assert closes > opens and closes == min(ha.closes_at(opens), hb.closes_at(opens))


@settings(max_examples=100, deadline=None)
@given(windows, st.sampled_from(ZONES), instants, st.floats(0, 4 * 3600))
def test_open_through_and_the_next_opening_long_enough(
    w: CallingWindow, zone: str, t: float, lead: float
) -> None:
    """What a preview dialer asks: open from t through t + lead (closes_at after
    t + lead), and the first instant from which that holds."""
    h = CallingHours(_merged(w), zone)
    assert h.open_through(t, t + lead) == (h.is_open(t) and h.closes_at(t) > t + lead)
    both = AllOf([h, CallingHours(_merged(w), "America/Denver")])
    assert both.open_through(t, t + lead) == (both.is_open(t) and both.closes_at(t) > t + lead)
    opens = next_open_through(h, t, lead)
    if opens is None:
        return
    assert opens >= t and h.open_through(opens, opens + lead)
    probe = h.next_open(t)  # every earlier opening is of a stretch shorter than lead
    while probe is not None and probe < opens:
        assert h.closes_at(probe) <= probe + lead
        probe = h.next_open(h.closes_at(probe))

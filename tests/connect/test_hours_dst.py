"""Calling hours around every clock change, against a minute-by-minute oracle.

The oracle knows nothing of folds or gaps: it reads the wall clock of every
UTC minute of a few days around a transition, and a range of local date D
runs from the first minute whose wall time is at or after D + start to the
first whose wall time is at or after D + end (docs/connect.md, DST row).
Zones: US, London, Lord Howe (30-minute DST), Santiago and Havana (changes
at midnight), Nuuk (changes at 22:00/23:00 local), Dublin (negative DST).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.connect.hours import CallingHours
from sim.connect.v2config import CallingWindow

DST_ZONES = ("America/New_York", "America/Denver", "Europe/London", "Australia/Lord_Howe",
             "America/Santiago", "America/Havana", "America/Nuuk", "Europe/Dublin")  # fmt: skip
MIN = 60
SPAN_MIN = 3 * 1440  # minutes checked: 36 h before to 36 h after the change


@cache
def transitions(zone: str) -> tuple[int, ...]:
    """UTC minutes (POSIX // 60) at which the zone's offset changes, 2024-2026."""
    tz = ZoneInfo(zone)
    t = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
    out = []
    off = tz.utcoffset(datetime.fromtimestamp(t, tz))
    while t < end:
        nxt = t + 3600
        if tz.utcoffset(datetime.fromtimestamp(nxt, tz)) != off:
            lo, hi = t // MIN, nxt // MIN  # the change falls on a whole minute
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if tz.utcoffset(datetime.fromtimestamp(mid * MIN, tz)) == off:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            off = tz.utcoffset(datetime.fromtimestamp(nxt, tz))
        t = nxt
    return tuple(out)


class Oracle:
    """Open minutes of a window in a zone over [first, first + SPAN_MIN) UTC minutes."""

    def __init__(self, w: CallingWindow, zone: str, first: int) -> None:
        tz = ZoneInfo(zone)
        pad = 2 * 1440  # walls of the days around, for ranges that start before ``first``
        self.first = first
        minutes = range(first - pad, first + SPAN_MIN + pad)
        walls = [datetime.fromtimestamp(m * MIN, tz).replace(tzinfo=None) for m in minutes]
        self.open = bytearray(SPAN_MIN)
        dates = {wall.date() for wall in walls[pad : pad + SPAN_MIN]}
        for d in dates:
            if any(s <= d < e for s, e in w.restricted):
                continue
            for s, e in w.open_hours[d.weekday()]:
                lo = self._first_at(walls, d, s) + first - pad
                hi = self._first_at(walls, d, e) + first - pad
                for m in range(max(lo, first), min(hi, first + SPAN_MIN)):
                    self.open[m - first] = 1
        # Per minute: the first open (closed) minute at or after it, None past the span.
        self.next_open: list[int | None] = [None] * (SPAN_MIN + 1)
        self.next_shut: list[int | None] = [None] * (SPAN_MIN + 1)
        for i in range(SPAN_MIN - 1, -1, -1):
            self.next_open[i] = first + i if self.open[i] else self.next_open[i + 1]
            self.next_shut[i] = self.next_shut[i + 1] if self.open[i] else first + i

    @staticmethod
    def _first_at(walls: list[datetime], d: date, minute: int) -> int:
        target = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
        return next(i for i, wall in enumerate(walls) if wall >= target)

    def is_open(self, m: int) -> bool:
        return bool(self.open[m - self.first])


minute = st.integers(0, 1439)
day_ranges = st.lists(
    st.tuples(minute, st.integers(1, 1440)).map(lambda p: (p[0], min(1440, p[0] + p[1]))),
    max_size=3,
)
# Ranges near the small hours, where the clocks change, are drawn more often.
night = st.lists(
    st.tuples(st.integers(0, 240), st.integers(1, 240)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=2,
)


def _merge(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return tuple(out)


windows = st.lists(st.one_of(day_ranges, night), min_size=7, max_size=7).map(
    lambda days: CallingWindow(tuple(_merge(d) for d in days), ())
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[CallingWindow, str, int]:
    zone = draw(st.sampled_from(DST_ZONES))
    change = draw(st.sampled_from(transitions(zone)))
    return draw(windows), zone, change - SPAN_MIN // 2


@settings(max_examples=40, deadline=None)
@given(cases())
def test_every_minute_around_a_clock_change_matches_the_oracle(
    case: tuple[CallingWindow, str, int],
) -> None:
    w, zone, first = case
    oracle = Oracle(w, zone, first)
    h = CallingHours(w, zone)
    last = first + SPAN_MIN
    for m in range(first, last):
        t = m * MIN
        assert h.is_open(t) == oracle.is_open(m), (zone, datetime.fromtimestamp(t, UTC))
        assert h.is_open(t + 30.5) == oracle.is_open(m), (zone, t + 30.5)
        opens = h.next_open(t)
        want = oracle.next_open[m - first]
        if want is not None:
            assert opens == want * MIN, (zone, datetime.fromtimestamp(t, UTC))
        elif opens is not None:
            assert opens >= last * MIN
        if oracle.is_open(m):
            closes = h.closes_at(t)
            shut = oracle.next_shut[m - first]
            if shut is not None:
                assert closes == shut * MIN, (zone, datetime.fromtimestamp(t, UTC))
            else:
                assert closes >= last * MIN or closes == math.inf
        else:
            assert h.closes_at(t) == t


def test_the_zones_change_their_clocks_twice_a_year() -> None:
    for zone in DST_ZONES:
        assert len(transitions(zone)) == 6, zone

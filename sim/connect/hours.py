"""Calling hours in a recipient's time zone: is it open now, when does it open, when does it close.

A :class:`CallingHours` is one CallingWindow seen from one IANA zone. It
turns each local date into its open intervals on the POSIX clock once
(zoneinfo, so DST transitions fall where the tz database puts them) and
caches them by local date, so every query after the first for a day costs a
few dict lookups: O(1) per call, memory proportional to the days visited.

A range is one stretch of real time from the first instant whose wall time
reaches its start to the first instant whose wall time reaches its end: a
wall time repeated when the clocks go back means its first occurrence (so a
range does not reopen in the repeated hour), and one skipped when they go
forward means the instant of the jump (02:30 on a spring-forward night is
03:00 daylight time). A range that comes out empty is dropped.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sim.connect.v2config import DAY_S, CallingWindow

Interval = tuple[float, float]
HORIZON_DAYS = 3 * 366  # a window closed longer than this is reported as never opening
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class Hours(Protocol):
    """What the dialer asks of a recipient's calling hours (POSIX seconds)."""

    def is_open(self, t: float) -> bool: ...

    def next_open(self, t: float) -> float | None:
        """The earliest instant >= t that is open; None if none within HORIZON_DAYS."""
        ...

    def closes_at(self, t: float) -> float:
        """For an open ``t``: the first instant after it that is closed (math.inf
        if open through the horizon). For a closed ``t``: ``t``."""
        ...

    def open_through(self, t: float, until: float) -> bool:
        """Whether every instant of [t, until] is open (``until`` >= t); it looks
        no further ahead than ``until``, unlike ``closes_at``."""
        ...


class AlwaysOpen:
    """No open hours configured: AWS attempts communications at any time."""

    def is_open(self, t: float) -> bool:
        return True

    def next_open(self, t: float) -> float | None:
        return t

    def closes_at(self, t: float) -> float:
        return math.inf

    def open_through(self, t: float, until: float) -> bool:
        return True


ALWAYS_OPEN = AlwaysOpen()


class CallingHours:
    """One calling window in one zone, with intervals cached per local date."""

    __slots__ = ("_days", "_restricted_ends", "_restricted_starts", "_tz", "window", "zone")

    def __init__(self, window: CallingWindow, zone: str) -> None:
        self.window = window
        self.zone = zone
        self._tz = ZoneInfo(zone)
        self._restricted_starts = [s.toordinal() for s, _ in window.restricted]
        self._restricted_ends = [e.toordinal() for _, e in window.restricted]
        self._days: dict[int, tuple[Interval, ...]] = {}

    def __repr__(self) -> str:
        return f"CallingHours({self.zone!r})"

    # -- per local date -------------------------------------------------------------

    def _restricted(self, ordinal: int) -> bool:
        i = bisect_left(self._restricted_ends, ordinal + 1) if self._restricted_ends else 0
        return i < len(self._restricted_starts) and self._restricted_starts[i] <= ordinal

    def _instant(self, day: date, minute: int) -> float:
        """The first instant whose local wall time is at or after ``minute`` of ``day``."""
        wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        early = wall.replace(tzinfo=self._tz, fold=0).timestamp()
        late = wall.replace(tzinfo=self._tz, fold=1).timestamp()
        if late >= early:  # an ordinary time, or a repeated one (its first occurrence)
            return early
        # Skipped by a forward jump: the jump itself is the first instant past it.
        # Bisect for it between the two readings (transitions fall on whole seconds).
        lo, hi = math.floor(late), math.ceil(early)
        after = self._tz.utcoffset(datetime.fromtimestamp(hi, self._tz))
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if self._tz.utcoffset(datetime.fromtimestamp(mid, self._tz)) == after:
                hi = mid
            else:
                lo = mid
        return float(hi)

    def day(self, ordinal: int) -> tuple[Interval, ...]:
        """The open intervals (POSIX seconds) of local date ``ordinal``, cached."""
        found = self._days.get(ordinal)
        if found is not None:
            return found
        out: tuple[Interval, ...] = ()
        if not self._restricted(ordinal):
            d = date.fromordinal(ordinal)
            pairs = (
                (self._instant(d, s), self._instant(d, e))
                for s, e in self.window.open_hours[d.weekday()]
            )
            out = tuple((s, e) for s, e in pairs if e > s)
        self._days[ordinal] = out
        return out

    def _intervals_from(self, t: float) -> Iterator[Interval]:
        # Local dates around a UTC instant differ from its UTC date by at most one.
        first = math.floor(t / DAY_S) + _EPOCH_ORDINAL - 1
        for ordinal in range(first, first + HORIZON_DAYS):
            yield from self.day(ordinal)

    # -- queries --------------------------------------------------------------------

    def is_open(self, t: float) -> bool:
        u = math.floor(t / DAY_S) + _EPOCH_ORDINAL
        for ordinal in (u - 1, u, u + 1):
            for start, end in self.day(ordinal):
                if start <= t < end:
                    return True
        return False

    def next_open(self, t: float) -> float | None:
        for start, end in self._intervals_from(t):
            if end > t:
                return max(start, t)
        return None

    def closes_at(self, t: float) -> float:
        return self._closing(t, math.inf)

    def open_through(self, t: float, until: float) -> bool:
        return self._closing(t, until) > until

    def _closing(self, t: float, limit: float) -> float:
        """``closes_at(t)``, or any instant past ``limit`` once it is known to be later."""
        closing: float | None = None
        for start, end in self._intervals_from(t):
            if closing is None:
                if end <= t:
                    continue
                if start > t:
                    return t  # closed at t
                closing = end
            elif start <= closing:  # touching or overlapping: still open
                closing = max(closing, end)
            else:
                return closing
            if closing > limit:
                return closing
        return math.inf if closing is not None else t


class AllOf:
    """Open only when every member is open: a recipient whose number maps to
    several zones (an area code that spans two) may be called only at times
    that are allowed in each of them."""

    __slots__ = ("members",)

    def __init__(self, members: Sequence[Hours]) -> None:
        if not members:
            raise ValueError("AllOf needs at least one member")
        self.members = tuple(members)

    def is_open(self, t: float) -> bool:
        return all(h.is_open(t) for h in self.members)

    def next_open(self, t: float) -> float | None:
        limit = t + HORIZON_DAYS * DAY_S
        while t <= limit:
            later = t
            for h in self.members:
                opens = h.next_open(t)
                if opens is None:
                    return None
                later = max(later, opens)
            if later == t:
                return t
            t = later
        return None

    def closes_at(self, t: float) -> float:
        if not self.is_open(t):
            return t
        return min(h.closes_at(t) for h in self.members)

    def open_through(self, t: float, until: float) -> bool:
        return all(h.open_through(t, until) for h in self.members)


def next_open_through(hours: Hours, t: float, lead: float) -> float | None:
    """The earliest instant s >= t such that [s, s + lead] is all open (a dial
    taken at s is placed by s + lead inside the window); None if none within
    HORIZON_DAYS."""
    limit = t + HORIZON_DAYS * DAY_S
    while t <= limit:
        opens = hours.next_open(t)
        if opens is None or opens > limit:
            return None
        if hours.open_through(opens, opens + lead):
            return opens
        t = hours.closes_at(opens)  # this open stretch is shorter than ``lead``
    return None


class HoursBook:
    """The calling hours of one campaign's window per zone key, built once per key.

    A zone key is the tuple of IANA zones a recipient resolved to (usually
    one). ``window`` None means no open hours: every key is always open.
    """

    __slots__ = ("_by_key", "_by_zone", "window")

    def __init__(self, window: CallingWindow | None) -> None:
        self.window = window
        self._by_zone: dict[str, CallingHours] = {}
        self._by_key: dict[tuple[str, ...], Hours] = {}

    def hours(self, zones: tuple[str, ...]) -> Hours:
        found = self._by_key.get(zones)
        if found is not None:
            return found
        hours: Hours
        if self.window is None:
            hours = ALWAYS_OPEN
        else:
            members = [self._zone(z) for z in zones]
            hours = members[0] if len(members) == 1 else AllOf(members)
        self._by_key[zones] = hours
        return hours

    def _zone(self, zone: str) -> CallingHours:
        found = self._by_zone.get(zone)
        if found is None:
            assert self.window is not None
            found = self._by_zone[zone] = CallingHours(self.window, zone)
        return found

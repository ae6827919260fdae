"""Durations and times of day: parsing, formatting and pydantic field types.

A planner writes durations as ``"30s"``, ``"5m"``, ``"8h"``, ``"1h30m"``,
``"2d"``, ``"250ms"``, an ISO-8601 duration (``"PT1H"``, ``"P1DT2H"``) or a
bare number of seconds. Times of day are ``"09:00"`` or ``"09:30:15"``
(``"24:00"`` is accepted as the end of the day) or a number of seconds after
midnight. Both are stored as float seconds, so the engine never parses text.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

from sim.scenario.limits import EARLIEST_START, LATEST_END, MAX_DURATION_S

DAY = 86_400.0
HOUR = 3_600.0

_UNIT_SECONDS = {"d": DAY, "h": 3_600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_COMPOUND = re.compile(rf"\s*({_NUMBER})\s*(ms|d|h|m|s)\s*", re.ASCII)
_PLAIN_NUMBER = re.compile(rf"^\s*(?:{_NUMBER})(?:[eE][-+]?\d+)?\s*$", re.ASCII)
_ISO = re.compile(
    rf"^P(?:(?P<w>{_NUMBER})W)?(?:(?P<d>{_NUMBER})D)?"
    rf"(?:T(?:(?P<h>{_NUMBER})H)?(?:(?P<m>{_NUMBER})M)?(?:(?P<s>{_NUMBER})S)?)?$",
    re.ASCII,
)
_ISO_SECONDS = {"w": 7 * DAY, "d": DAY, "h": 3_600.0, "m": 60.0, "s": 1.0}
_TIME_OF_DAY = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$", re.ASCII)
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}", re.ASCII)

DURATION_HELP = "write e.g. 30s, 5m, 1h30m, 2d, PT1H or a number of seconds"


def _number_seconds(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number of seconds")
    if value < 0:
        raise ValueError(f"must not be negative (got {value:g})")
    return float(value)


def _compound_seconds(text: str) -> float | None:
    """Seconds of ``"1h30m"``-style text, or None if it is not that form."""
    pos, total, seen = 0, 0.0, set()
    while pos < len(text):
        match = _COMPOUND.match(text, pos)
        if match is None or match.end() == pos:
            return None
        number, unit = match.groups()
        if unit in seen:  # "5m30m" is far more likely a typo than a sum
            return None
        seen.add(unit)
        total += float(number) * _UNIT_SECONDS[unit]
        pos = match.end()
    return total if seen else None


def _iso_seconds(text: str) -> float | None:
    match = _ISO.match(text.upper())
    if match is None or not any(match.groupdict().values()) or text.upper().endswith("T"):
        return None
    return sum(float(v) * _ISO_SECONDS[k] for k, v in match.groupdict().items() if v)


def parse_duration(text: str | float) -> float:
    """Seconds (a float >= 0) of a duration written as text or a number.

    Raises ValueError with a plain message for anything else, including
    negative or non-finite numbers and booleans.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration ({DURATION_HELP})")
    if isinstance(text, int | float):
        return _number_seconds(text)
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration ({DURATION_HELP})")
    stripped = text.strip()
    if _PLAIN_NUMBER.match(stripped):
        return _number_seconds(float(stripped))
    seconds = _compound_seconds(stripped)
    if seconds is None and stripped[:1] in ("P", "p"):
        seconds = _iso_seconds(stripped)
    if seconds is None:
        raise ValueError(f"{text!r} is not a duration ({DURATION_HELP})")
    return _number_seconds(seconds)


def format_duration(seconds: float) -> str:
    """The shortest ``"1h30m"``-style text that parse_duration reads back.

    Whole units from days down to seconds; a fractional part is kept on the
    seconds to microsecond precision. Zero is ``"0s"``.
    """
    seconds = _number_seconds(seconds)
    whole = int(seconds)
    fraction = round(seconds - whole, 6)
    if fraction >= 1.0:  # rounding carried into the next second
        whole, fraction = whole + 1, 0.0
    parts = []
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    if whole or fraction or not parts:
        text = f"{whole + fraction:.6f}".rstrip("0").rstrip(".")
        parts.append(f"{text}s")
    return "".join(parts)


def parse_time_of_day(text: str | float) -> float:
    """Seconds after midnight (0..86400) of ``"HH:MM[:SS]"`` or a number.

    ``"24:00"`` (86400) is allowed so a shift can end at midnight.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a time of day (write e.g. 09:00 or 17:30:15)")
    if isinstance(text, int | float):
        value = _number_seconds(text)
    elif isinstance(text, str) and (match := _TIME_OF_DAY.match(text)):
        hours, minutes, secs = match.groups()
        if int(minutes) > 59 or float(secs or 0) >= 60:
            raise ValueError(f"{text!r} is not a time of day (minutes and seconds are 0..59)")
        value = int(hours) * 3_600.0 + int(minutes) * 60.0 + float(secs or 0)
    else:
        raise ValueError(f"{text!r} is not a time of day (write e.g. 09:00 or 17:30:15)")
    if value > DAY:
        raise ValueError(f"{text!r} is not a time of day (at most 24:00)")
    return value


def format_time_of_day(seconds: float) -> str:
    """``"HH:MM"``, or ``"HH:MM:SS"`` when the seconds are not zero."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3_600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def in_daily_window(start: float, end: float, t: float) -> bool:
    """Whether time of day ``t`` lies in the daily window ``[start, end)``.

    ``end <= start`` means the window runs overnight (``end == start`` is the
    whole day).
    """
    t %= DAY
    start, end = start % DAY, end % DAY
    if start < end:
        return start <= t < end
    return t >= start or t < end


# -- pydantic field types -----------------------------------------------------

_DURATION_PATTERN = (
    r"^\s*((\d+(\.\d*)?|\.\d+)\s*(ms|d|h|m|s)\s*)+$|^[Pp][0-9WDTHMSwdthms.]+$|^\s*[0-9.eE+-]+\s*$"
)
_DURATION_JSON = {
    "anyOf": [
        {"type": "string", "pattern": _DURATION_PATTERN},
        {"type": "number", "minimum": 0},
    ],
    "description": f"A duration: {DURATION_HELP}.",
}
_TIME_JSON = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"},
        {"type": "number", "minimum": 0, "maximum": DAY},
    ],
    "description": "A time of day, HH:MM or HH:MM:SS (24:00 allowed), or seconds after midnight.",
}


def show_seconds(seconds: float) -> str:
    """A duration for a message: ``1h30m`` style, or ``1e+308s`` when absurdly long."""
    return format_duration(seconds) if seconds <= 1e12 else f"{seconds:.3g}s"


def _as_duration(value: Any) -> float:
    seconds = parse_duration(value)
    if seconds > MAX_DURATION_S:
        raise ValueError(
            f"must be at most {format_duration(MAX_DURATION_S)} (got {show_seconds(seconds)})"
        )
    return seconds


def _as_time_of_day(value: Any) -> float:
    return parse_time_of_day(value)


def _positive(seconds: float) -> float:
    if seconds <= 0:
        raise ValueError("must be longer than 0s")
    return seconds


def within(low: str, high: str) -> AfterValidator:
    """A validator keeping a duration within ``[low, high]`` (bounds written as durations)."""
    low_s, high_s = parse_duration(low), parse_duration(high)

    def check(seconds: float) -> float:
        if not low_s <= seconds <= high_s:
            raise ValueError(f"must be between {low} and {high} (got {format_duration(seconds)})")
        return seconds

    return AfterValidator(check)


def at_least(low: float) -> AfterValidator:
    """A validator keeping a duration at or above ``low`` seconds."""

    def check(seconds: float) -> float:
        if seconds < low:
            raise ValueError(
                f"must be at least {format_duration(low)} (got {format_duration(seconds)})"
            )
        return seconds

    return AfterValidator(check)


Duration = Annotated[float, BeforeValidator(_as_duration), WithJsonSchema(_DURATION_JSON)]
"""Seconds >= 0, written as a duration."""

PositiveDuration = Annotated[Duration, AfterValidator(_positive)]
"""Seconds > 0, written as a duration."""

TimeOfDay = Annotated[float, BeforeValidator(_as_time_of_day), WithJsonSchema(_TIME_JSON)]
"""Seconds after midnight (0..86400), written as HH:MM[:SS]."""

_INSTANT_HELP = "an ISO-8601 instant with a UTC offset, e.g. 2026-10-06T09:00:00-04:00"


def _as_instant(value: Any) -> Any:
    """Text in ISO-8601 form (or a datetime from Python): never a number of seconds."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        shown = repr(value) if isinstance(value, int | float) else type(value).__name__
        raise ValueError(f"must be {_INSTANT_HELP} (got {shown})")
    if not _INSTANT.match(value.strip()):
        raise ValueError(f"{value[:60]!r} is not {_INSTANT_HELP}")
    return value.strip()


def _representable(moment: datetime) -> datetime:
    if not EARLIEST_START <= moment <= LATEST_END:
        raise ValueError(
            f"must be between {EARLIEST_START.isoformat()} and {LATEST_END.isoformat()}"
            f" (got {moment.isoformat()})"
        )
    return moment


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_as_instant),
    AfterValidator(_representable),
    WithJsonSchema({"type": "string", "format": "date-time", "description": _INSTANT_HELP}),
]
"""An aware datetime, written as ISO-8601 text with a UTC offset, within the limits."""

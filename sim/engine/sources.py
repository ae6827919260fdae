"""Dial-request sources: when batches arrive and what numbers they carry.

Each source is a generator of ``(time, rows)`` batches, in time order, where a
row is ``(phone_number, attributes)``. Generators are lazy, so a CSV list of
a million rows is read as it is submitted, never held whole in memory.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import datetime, time

from sim.scenario import CsvSource, PiecewiseSource, PoissonSource, ScheduleSource, Source

Row = tuple[str, dict[str, str]]
Batch = tuple[float, list[Row]]

DAY_S = 86400.0


def synthetic_number(rng: random.Random) -> str:
    """A random North-American E.164 number (area code never starting 0 or 1)."""
    return f"+1{rng.randrange(2_000_000_000, 10_000_000_000)}"


def local_midnight(start: datetime) -> float:
    """POSIX time of the midnight that begins the start's local day."""
    return datetime.combine(start.date(), time(0), tzinfo=start.tzinfo).timestamp()


def batches_for(
    source: Source, rng: random.Random, start: datetime, end_ts: float
) -> Iterator[Batch]:
    """The batches of one scenario source, ending before ``end_ts``."""
    start_ts = start.timestamp()
    if isinstance(source, ScheduleSource):
        return _schedule(source, rng, start_ts, end_ts)
    if isinstance(source, PoissonSource):
        return _poisson(source, rng, start_ts, end_ts)
    if isinstance(source, PiecewiseSource):
        return _piecewise(source, rng, start, end_ts)
    return _csv(source, start_ts, end_ts)


def _synthetic(rng: random.Random, count: int) -> list[Row]:
    return [(synthetic_number(rng), {}) for _ in range(count)]


def _schedule(
    source: ScheduleSource, rng: random.Random, start_ts: float, end_ts: float
) -> Iterator[Batch]:
    for batch in sorted(source.batches, key=lambda b: b.at):
        when = start_ts + batch.at
        if when >= end_ts:
            return
        yield when, _synthetic(rng, batch.count)


def _poisson(
    source: PoissonSource, rng: random.Random, start_ts: float, end_ts: float
) -> Iterator[Batch]:
    rate = source.rate_per_hour / 3600.0
    stop = end_ts if source.end is None else min(end_ts, start_ts + source.end)
    remaining = math.inf if source.max_requests is None else source.max_requests
    when = start_ts + source.start
    while remaining > 0:
        when += rng.expovariate(rate)
        if when >= stop:
            return
        count = int(min(source.batch_size, remaining))
        remaining -= count
        yield when, _synthetic(rng, count)


def _piecewise(
    source: PiecewiseSource, rng: random.Random, start: datetime, end_ts: float
) -> Iterator[Batch]:
    """Poisson arrivals whose rate is constant on each time-of-day piece.

    Memorylessness lets us restart the exponential clock at each boundary.
    Times of day are read in the start's UTC offset (DST shifts are ignored).
    """
    midnight = local_midnight(start)
    pieces = sorted((p.start, p.end, p.rate_per_hour / 3600.0) for p in source.rates)
    now = start.timestamp()
    while now < end_ts:
        tod = (now - midnight) % DAY_S
        rate, boundary = _piece_at(pieces, tod)
        piece_end = now + (boundary - tod)
        if rate <= 0.0:
            now = piece_end
            continue
        candidate = now + rng.expovariate(rate)
        if candidate >= piece_end:
            now = piece_end
            continue
        now = candidate
        if now >= end_ts:
            return
        yield now, _synthetic(rng, source.batch_size)


def _piece_at(pieces: list[tuple[float, float, float]], tod: float) -> tuple[float, float]:
    """(rate, time of day the rate next changes) for time of day ``tod``."""
    edges = sorted({0.0, DAY_S, *(p[0] for p in pieces), *(p[1] for p in pieces)})
    boundary = next((e for e in edges if e > tod), DAY_S)
    for lo, hi, rate in pieces:
        inside = lo <= tod < hi if lo < hi else (tod >= lo or tod < hi)
        if inside:
            return rate, boundary
    return 0.0, boundary


def _csv(source: CsvSource, start_ts: float, end_ts: float) -> Iterator[Batch]:
    gap = 0.0 if source.rate_per_hour is None else 3600.0 / source.rate_per_hour
    when = start_ts + source.at
    batch: list[Row] = []
    for phone, attributes in source.rows():
        # A short row leaves cells None: send them as empty attribute values.
        batch.append((phone.strip(), {k: v or "" for k, v in attributes.items()}))
        if len(batch) == source.batch_size:
            if when >= end_ts:
                return
            yield when, batch
            batch = []
            when += gap
    if batch and when < end_ts:
        yield when, batch

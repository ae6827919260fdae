"""Confidence intervals for simulation output: across replications and within one run.

Two classic designs [LK15 ch. 9]:

* independent replications: one KPI value per replication, a Student t
  interval on their mean (:func:`mean_ci`, :func:`replicate_summary`);
* one long run: drop the warm-up (:func:`discard_warmup`), cut the rest into
  contiguous batches and treat the batch means as roughly independent
  (:func:`batch_means`).

References:
    [LK15] A. M. Law, *Simulation Modeling and Analysis*, 5th ed.,
        McGraw-Hill, 2015: section 4.5 (the t interval) and chapter 9
        (replications, warm-up deletion, batch means).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from scipy.stats import t as _student_t

__all__ = ["CI", "batch_means", "contains", "discard_warmup", "mean_ci", "replicate_summary"]


@dataclass(frozen=True, slots=True)
class CI:
    """A two-sided confidence interval for a mean.

    ``n`` counts the values actually used (``None`` values are not counted).
    With ``n == 1`` the spread is unknown: ``sd`` is nan and the interval is
    ``(-inf, inf)``. With ``n == 0`` every float field is nan.
    """

    mean: float
    half_width: float
    low: float
    high: float
    n: int
    sd: float
    confidence: float


def _t_quantile(p: float, df: int) -> float:
    """Typed wrapper: the ``p`` quantile of Student's t with ``df`` degrees of freedom."""
    return float(_student_t.ppf(p, df))


def _check_confidence(confidence: float) -> float:
    c = float(confidence)
    if not 0.0 < c < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return c


def mean_ci(values: Iterable[float | None], confidence: float = 0.95) -> CI:
    """Student t confidence interval for the mean of i.i.d. values [LK15 4.5].

    ``None`` values are skipped: a KPI that is undefined in a replication (the
    mean answer time of a replication that answered nothing) is missing, not
    zero. See :class:`CI` for ``n`` of 0 or 1. The interval is exact for
    normal data and asymptotically right otherwise.

    Raises:
        ValueError: a value is nan or infinite, or ``confidence`` not in (0, 1).
    """
    level = _check_confidence(confidence)
    data = [float(v) for v in values if v is not None]
    if any(not math.isfinite(v) for v in data):
        raise ValueError("values must be finite numbers or None")
    n = len(data)
    if n == 0:
        nan = math.nan
        return CI(nan, nan, nan, nan, 0, nan, level)
    mean = statistics.fmean(data)
    if n == 1:
        return CI(mean, math.inf, -math.inf, math.inf, 1, math.nan, level)
    sd = statistics.stdev(data, mean)
    half = _t_quantile(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
    return CI(mean, half, mean - half, mean + half, n, sd, level)


def replicate_summary(
    summaries: Sequence[Mapping[str, float | None]],
    keys: Iterable[str] | None = None,
    confidence: float = 0.95,
) -> dict[str, CI]:
    """One :func:`mean_ci` per KPI across replications' summary dicts.

    ``keys`` defaults to the keys of the first summary, in its order. A ``None``
    value counts as missing for that replication; a key absent from a summary
    raises, since that is a typo or a mix of incompatible summaries rather
    than an undefined KPI.

    Raises:
        KeyError: a requested key is absent from one of the summaries.
    """
    chosen = list(keys) if keys is not None else list(summaries[0]) if summaries else []
    result: dict[str, CI] = {}
    for key in chosen:
        result[key] = mean_ci([summary[key] for summary in summaries], confidence)
    return result


def contains(ci: CI, value: float) -> bool:
    """Whether ``value`` lies in the closed interval ``[ci.low, ci.high]`` (never for nan)."""
    return ci.low <= value <= ci.high


def batch_means(values: Sequence[float], n_batches: int, confidence: float = 0.95) -> CI:
    """Non-overlapping batch means interval for a steady-state mean within one run.

    The observations (in time order, warm-up already removed) are cut into
    ``n_batches`` contiguous batches of equal size and :func:`mean_ci` is applied
    to the batch means [LK15 ch. 9]. When the length does not divide evenly, the
    earliest surplus observations are dropped: they are the nearest to the
    warm-up. Batches must be long compared with the output's autocorrelation
    for the interval to hold; 10 to 30 batches is the usual advice.

    Raises:
        ValueError: ``n_batches < 2`` or fewer observations than batches.
    """
    k = int(n_batches)
    if k < 2:
        raise ValueError(f"n_batches must be at least 2, got {n_batches!r}")
    size = len(values) // k
    if size == 0:
        raise ValueError(f"need at least {k} values for {k} batches, got {len(values)}")
    start = len(values) - size * k
    means = [statistics.fmean(values[start + i * size : start + (i + 1) * size]) for i in range(k)]
    return mean_ci(means, confidence)


def discard_warmup(
    times: Sequence[float],
    values: Sequence[float],
    warmup_s: float,
    start: float | None = None,
) -> list[float]:
    """The values observed at or after ``start + warmup_s``, in their given order.

    ``times`` are simulated POSIX seconds, paired with ``values`` by position
    and not necessarily sorted. ``start`` is the run's start instant; it
    defaults to the earliest time given, which is right when the first
    observation comes at the start of the run.

    Raises:
        ValueError: ``times`` and ``values`` differ in length, or ``warmup_s < 0``.
    """
    if len(times) != len(values):
        raise ValueError(f"times and values differ in length: {len(times)} != {len(values)}")
    if not warmup_s >= 0.0:
        raise ValueError(f"warmup_s must be >= 0, got {warmup_s!r}")
    if not times:
        return []
    cutoff = (min(times) if start is None else start) + warmup_s
    return [v for t, v in zip(times, values, strict=True) if t >= cutoff]

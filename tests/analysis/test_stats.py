"""Confidence intervals: known values, coverage, batch means and warm-up deletion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as sps

from sim.analysis.stats import (
    CI,
    batch_means,
    contains,
    discard_warmup,
    mean_ci,
    replicate_summary,
)


def test_mean_ci_known_value() -> None:
    # 1..5: mean 3, sd sqrt(2.5), t_{0.975, 4} = 2.776445.
    ci = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (ci.mean, ci.n) == (3.0, 5)
    assert ci.sd == pytest.approx(math.sqrt(2.5))
    assert ci.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)
    assert ci.low == pytest.approx(3 - ci.half_width)
    assert ci.high == pytest.approx(3 + ci.half_width)


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=2, max_size=40),
    st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_mean_ci_agrees_with_scipy_interval(values: list[float], level: float) -> None:
    ci = mean_ci(values, level)
    if ci.sd == 0.0:
        assert ci.half_width == 0.0
        return
    low, high = sps.t.interval(level, len(values) - 1, loc=np.mean(values), scale=sps.sem(values))
    assert ci.low == pytest.approx(low, rel=1e-9, abs=1e-6)
    assert ci.high == pytest.approx(high, rel=1e-9, abs=1e-6)
    assert contains(ci, ci.mean)


def test_mean_ci_coverage_is_nominal() -> None:
    # 400 intervals from samples of 10 normals: the count covering the true mean
    # is Binomial(400, 0.95), mean 380 and sd 4.36; accept +-3.5 sd.
    rng = np.random.default_rng(20240601)
    true_mean = 7.0
    covered = sum(
        contains(mean_ci(rng.normal(true_mean, 3.0, size=10).tolist()), true_mean)
        for _ in range(400)
    )
    assert 365 <= covered <= 395


def test_mean_ci_small_and_missing() -> None:
    one = mean_ci([4.0, None])
    assert (one.mean, one.n, one.half_width) == (4.0, 1, math.inf)
    assert math.isnan(one.sd)
    assert contains(one, -1e300)
    empty = mean_ci([None, None])
    assert empty.n == 0
    assert math.isnan(empty.mean)
    assert not contains(empty, 0.0)
    assert mean_ci([1.0, None, 3.0]).n == 2


@pytest.mark.parametrize("bad", [[1.0, math.nan], [1.0, math.inf]])
def test_mean_ci_rejects_non_finite(bad: list[float]) -> None:
    with pytest.raises(ValueError):
        mean_ci(bad)


@pytest.mark.parametrize("level", [0.0, 1.0, 95.0])
def test_mean_ci_rejects_bad_confidence(level: float) -> None:
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], level)


def test_replicate_summary() -> None:
    runs: list[dict[str, float | None]] = [
        {"abandon_rate": 0.02, "asa_s": 5.0},
        {"abandon_rate": 0.04, "asa_s": None},
        {"abandon_rate": 0.03, "asa_s": 7.0},
    ]
    out = replicate_summary(runs)
    assert list(out) == ["abandon_rate", "asa_s"]
    assert out["abandon_rate"] == mean_ci([0.02, 0.04, 0.03])
    assert out["asa_s"].n == 2
    assert list(replicate_summary(runs, ["asa_s"])) == ["asa_s"]
    assert replicate_summary([]) == {}
    with pytest.raises(KeyError):
        replicate_summary(runs, ["typo"])


def test_contains_is_closed() -> None:
    ci = CI(1.0, 1.0, 0.0, 2.0, 5, 1.0, 0.95)
    assert contains(ci, 0.0)
    assert contains(ci, 2.0)
    assert not contains(ci, 2.0000001)


def test_batch_means_drops_earliest_surplus() -> None:
    values = [100.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # 7 values: the 100 is surplus
    ci = batch_means(values, 3)
    assert ci.n == 3
    assert ci.mean == pytest.approx(3.5)
    assert ci == mean_ci([1.5, 3.5, 5.5])


def test_batch_means_covers_ar1_steady_state_mean() -> None:
    # AR(1) with phi = 0.9: strongly correlated, but 20 batches of 5000 cover its mean 10.
    rng = np.random.default_rng(7)
    noise = rng.normal(0.0, 1.0, size=100_000)
    x = np.empty_like(noise)
    x[0] = 10.0
    for i in range(1, len(x)):
        x[i] = 10.0 + 0.9 * (x[i - 1] - 10.0) + noise[i]
    ci = batch_means(x.tolist(), 20)
    assert contains(ci, 10.0)
    assert ci.half_width < 0.2


def test_batch_means_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        batch_means([1.0, 2.0, 3.0], 1)
    with pytest.raises(ValueError):
        batch_means([1.0, 2.0, 3.0], 4)


def test_discard_warmup() -> None:
    t0 = 1_700_000_000.0
    times = [t0 + 30, t0, t0 + 10, t0 + 20]
    values = [3.0, 0.0, 1.0, 2.0]
    assert discard_warmup(times, values, 10.0) == [3.0, 1.0, 2.0]
    assert discard_warmup(times, values, 10.0, start=t0 + 5) == [3.0, 2.0]
    assert discard_warmup(times, values, 0.0) == values
    assert discard_warmup([], [], 100.0) == []
    with pytest.raises(ValueError):
        discard_warmup(times, values[:2], 10.0)
    with pytest.raises(ValueError):
        discard_warmup(times, values, -1.0)

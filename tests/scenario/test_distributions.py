from __future__ import annotations

import math
import random
import statistics

import pytest
from pydantic import TypeAdapter, ValidationError

from sim.scenario import Distribution, Empirical, Exponential, Fixed, LogNormal, Uniform

ADAPTER: TypeAdapter[Distribution] = TypeAdapter(Distribution)
N = 40_000


def _draws(dist: Distribution, seed: int = 1) -> list[float]:
    draw = dist.sampler(random.Random(seed))
    return [draw() for _ in range(N)]


@pytest.mark.parametrize(
    "dist",
    [
        Fixed(value=20.0),
        Exponential(mean_s=12.0),
        LogNormal(mean_s=180.0, sd=60.0),
        LogNormal(mean_s=30.0, sd=0.0),
        Uniform(low=5.0, high=20.0),
        Empirical(samples=(10.0, 20.0, 60.0)),
    ],
    ids=lambda d: d.kind,
)
def test_sample_mean_matches_analytic_mean(dist: Distribution) -> None:
    samples = _draws(dist)
    assert min(samples) >= 0
    sd = statistics.pstdev(samples)
    # 5 standard errors: a fixed seed never flakes, a wrong formula still fails.
    assert statistics.fmean(samples) == pytest.approx(dist.mean(), abs=5 * sd / math.sqrt(N) + 1e-9)


def test_lognormal_sd_matches() -> None:
    samples = _draws(LogNormal(mean_s=180.0, sd=60.0))
    assert statistics.pstdev(samples) == pytest.approx(60.0, rel=0.05)


def test_sampler_uses_only_the_given_rng() -> None:
    dist = Exponential(mean_s=5.0)
    assert _draws(dist, seed=9)[:5] == _draws(dist, seed=9)[:5]
    random.seed(123)
    a = dist.sampler(random.Random(4))()
    random.seed(456)
    assert dist.sampler(random.Random(4))() == a


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30s", Fixed(value=30.0)),
        (12, Fixed(value=12.0)),
        ({"kind": "exponential", "mean": "2m"}, Exponential(mean_s=120.0)),
        ({"kind": "lognormal", "mean": "3m", "sd": "1m"}, LogNormal(mean_s=180.0, sd=60.0)),
        ({"kind": "uniform", "low": "5s", "high": "20s"}, Uniform(low=5.0, high=20.0)),
        ({"kind": "empirical", "samples": ["10s", 20]}, Empirical(samples=(10.0, 20.0))),
    ],
)
def test_parse_shorthand_and_kinds(raw: object, expected: Distribution) -> None:
    assert ADAPTER.validate_python(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "-5s",
        {"kind": "exponential", "mean": 0},
        {"kind": "uniform", "low": 20, "high": 5},
        {"kind": "empirical", "samples": []},
        {"kind": "lognormal", "mean": 10},
        {"kind": "gamma", "mean": 10},
        {"kind": "fixed", "value": 1, "extra": 2},
    ],
)
def test_invalid_distributions(raw: object) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(raw)


def test_lognormal_parameters() -> None:
    mu, sigma = LogNormal(mean_s=180.0, sd=60.0).mu_sigma
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(180.0)

"""Duration distributions: a discriminated union on ``kind``.

Each distribution knows its analytic mean and builds a fast sampler closure
over one ``random.Random`` (the run's single RNG), so the engine draws without
any lookup per sample. Samples are never negative. A plain duration (``"30s"``
or a number) is shorthand for ``{kind: fixed, value: ...}``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from sim.scenario.base import Frozen
from sim.scenario.units import Duration, PositiveDuration

Sampler = Callable[[], float]


class Fixed(Frozen):
    """Always the same value."""

    kind: Literal["fixed"] = "fixed"
    value: Duration

    def mean(self) -> float:
        return self.value

    def sampler(self, rng: random.Random) -> Sampler:
        value = self.value
        return lambda: value


class Exponential(Frozen):
    """Exponential with the given mean (memoryless: patience, time to answer)."""

    kind: Literal["exponential"] = "exponential"
    mean_s: PositiveDuration = Field(alias="mean")

    def mean(self) -> float:
        return self.mean_s

    def sampler(self, rng: random.Random) -> Sampler:
        draw, rate = rng.expovariate, 1.0 / self.mean_s
        return lambda: draw(rate)


class LogNormal(Frozen):
    """Log-normal given by the mean and standard deviation of the values themselves."""

    kind: Literal["lognormal"] = "lognormal"
    mean_s: PositiveDuration = Field(alias="mean")
    sd: Duration

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal distribution."""
        sigma2 = math.log1p((self.sd / self.mean_s) ** 2)
        return math.log(self.mean_s) - sigma2 / 2.0, math.sqrt(sigma2)

    def mean(self) -> float:
        return self.mean_s

    def sampler(self, rng: random.Random) -> Sampler:
        draw, (mu, sigma) = rng.lognormvariate, self.mu_sigma
        return lambda: draw(mu, sigma)


class Uniform(Frozen):
    """Uniform between low and high."""

    kind: Literal["uniform"] = "uniform"
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low:g}s) must not be greater than high ({self.high:g}s)")
        return self

    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    def sampler(self, rng: random.Random) -> Sampler:
        draw, low, high = rng.uniform, self.low, self.high
        return lambda: draw(low, high)


class Empirical(Frozen):
    """Resample observed durations with equal weight."""

    kind: Literal["empirical"] = "empirical"
    samples: tuple[Duration, ...] = Field(min_length=1)

    def mean(self) -> float:
        return math.fsum(self.samples) / len(self.samples)

    def sampler(self, rng: random.Random) -> Sampler:
        choice, samples = rng.choice, self.samples
        return lambda: choice(samples)


def _shorthand(value: Any) -> Any:
    """A bare duration means a fixed distribution."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"kind": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | LogNormal | Uniform | Empirical,
    Field(discriminator="kind"),
    BeforeValidator(
        _shorthand,
        json_schema_input_type=str | float | Fixed | Exponential | LogNormal | Uniform | Empirical,
    ),
]
"""Any distribution; a plain duration is shorthand for a fixed one."""

DISTRIBUTION_TYPES = (Fixed, Exponential, LogNormal, Uniform, Empirical)

"""Duration distributions: a discriminated union on ``kind``.

Each distribution knows its analytic mean and builds a fast sampler closure
over one ``random.Random`` (the run's single RNG), so the engine draws without
any lookup per sample. Samples are never negative and never longer than
``MAX_SAMPLE_S``: bounded kinds are validated within it, and the unbounded
ones (exponential, lognormal) are drawn capped at it, which is why they are
refused when the cap would cut more than ``MAX_CAPPED_MEAN_SHARE`` of their
mean. A plain duration (``"30s"`` or a number) is shorthand for
``{kind: fixed, value: ...}``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from sim.scenario.base import Frozen
from sim.scenario.limits import MAX_CAPPED_MEAN_SHARE, MAX_SAMPLE_S, MIN_MEAN_S
from sim.scenario.units import Duration, format_duration

Sampler = Callable[[], float]
CAP = MAX_SAMPLE_S


def _draw_length(seconds: float) -> float:
    if seconds > CAP:
        raise ValueError(f"must be at most {format_duration(CAP)}, the longest single draw")
    return seconds


def _mean_length(seconds: float) -> float:
    if seconds < MIN_MEAN_S:
        raise ValueError(f"must be at least {format_duration(MIN_MEAN_S)}")
    return _draw_length(seconds)


Draw = Annotated[Duration, AfterValidator(_draw_length)]
"""A duration one draw may take: at most MAX_SAMPLE_S."""

Mean = Annotated[Duration, AfterValidator(_mean_length)]
"""The mean of an unbounded distribution: 1 ms .. MAX_SAMPLE_S."""


def _check_capped_share(kind: str, share: float, what: str) -> None:
    """Refuse a distribution the draw cap would change by more than a trace."""
    if share > MAX_CAPPED_MEAN_SHARE:
        raise ValueError(
            f"{kind} with {what} puts {share:.2%} of its mean in draws longer than"
            f" {format_duration(CAP)}, the longest single draw (at most"
            f" {MAX_CAPPED_MEAN_SHARE:.1%} allowed); make it shorter or less spread"
        )


class Fixed(Frozen):
    """Always the same value."""

    kind: Literal["fixed"] = "fixed"
    value: Draw

    def mean(self) -> float:
        return self.value

    def sampler(self, rng: random.Random) -> Sampler:
        value = self.value
        return lambda: value


class Exponential(Frozen):
    """Exponential with the given mean (memoryless: patience, time to answer)."""

    kind: Literal["exponential"] = "exponential"
    mean_s: Mean = Field(alias="mean")

    @model_validator(mode="after")
    def _cap_is_a_trace(self) -> Exponential:
        what = f"mean {format_duration(self.mean_s)}"
        _check_capped_share("an exponential", self.capped_share(), what)
        return self

    def capped_share(self) -> float:
        """E[X; X > cap] / mean: the share of the mean in draws the cap shortens."""
        x = CAP / self.mean_s
        return (1.0 + x) * math.exp(-x)

    def mean(self) -> float:
        return self.mean_s

    def sampler(self, rng: random.Random) -> Sampler:
        draw, rate = rng.expovariate, 1.0 / self.mean_s
        return lambda: min(draw(rate), CAP)


class LogNormal(Frozen):
    """Log-normal given by the mean and standard deviation of the values themselves."""

    kind: Literal["lognormal"] = "lognormal"
    mean_s: Mean = Field(alias="mean")
    sd: Draw

    @model_validator(mode="after")
    def _cap_is_a_trace(self) -> LogNormal:
        what = f"mean {format_duration(self.mean_s)} and sd {format_duration(self.sd)}"
        _check_capped_share("a lognormal", self.capped_share(), what)
        return self

    def capped_share(self) -> float:
        """E[X; X > cap] / mean = Phi((mu + sigma^2 - ln cap) / sigma)."""
        mu, sigma = self.mu_sigma
        if sigma == 0.0:
            return 0.0  # every draw is the mean, which is within the cap
        z = (mu + sigma * sigma - math.log(CAP)) / sigma
        return 0.5 * math.erfc(-z / math.sqrt(2.0))

    @property
    def mu_sigma(self) -> tuple[float, float]:
        """(mu, sigma) of the underlying normal distribution."""
        sigma2 = math.log1p((self.sd / self.mean_s) ** 2)
        return math.log(self.mean_s) - sigma2 / 2.0, math.sqrt(sigma2)

    def mean(self) -> float:
        return self.mean_s

    def sampler(self, rng: random.Random) -> Sampler:
        draw, (mu, sigma) = rng.lognormvariate, self.mu_sigma
        return lambda: min(draw(mu, sigma), CAP)


class Uniform(Frozen):
    """Uniform between low and high."""

    kind: Literal["uniform"] = "uniform"
    low: Draw
    high: Draw

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
    samples: tuple[Draw, ...] = Field(min_length=1)

    def mean(self) -> float:
        return math.fsum(self.samples) / len(self.samples)

    def sampler(self, rng: random.Random) -> Sampler:
        choice, samples = rng.choice, self.samples
        return lambda: choice(samples)


def _shorthand(value: Any) -> Any:
    """A bare duration means a fixed distribution."""
    if isinstance(value, bool):
        raise ValueError(
            f"{value!r} is not a duration (e.g. 30s) or a distribution"
            " (e.g. {kind: exponential, mean: 12s})"
        )
    if isinstance(value, str | int | float):
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

"""Erlang B / C / A against published values and independent computations."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammainc, gammaln
from scipy.stats import poisson

from sim.analysis.erlang import (
    ErlangAResult,
    agents_for_erlang_a_abandonment,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_mean_wait,
    erlang_c_service_level,
)

# --------------------------------------------------------------------------- references


def exact_b(c: int, a: Fraction) -> Fraction:
    """Erlang B straight from its definition, with factorials, in exact arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def exact_c(c: int, a: Fraction) -> Fraction:
    """Erlang C from its own textbook formula (not from B), exactly."""
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def big_b(c: int, a: int) -> float:
    """Exact Erlang B for large c: B = a^c / T_c with T_m = m T_{m-1} + a^m, big integers."""
    total = 1
    for m in range(1, c + 1):
        total = m * total + a**m
    return float(Fraction(a**c, total))


def birth_death(n: int, lam: float, mu: float, theta: float) -> list[float]:
    """Stationary law of M/M/n+M by a plain truncated balance loop, normalised by direct sum."""
    probs = [1.0]
    k = 0
    while True:
        k += 1
        death = min(k, n) * mu + max(k - n, 0) * theta
        probs.append(probs[-1] * lam / death)
        if k > n + 10 and probs[-1] < 1e-18 * max(probs):
            break
        if probs[-1] > 1e250:
            probs = [p * 1e-250 for p in probs]
    total = math.fsum(probs)
    return [p / total for p in probs]


def served_wait_by_stages(n: int, mu: float, theta: float, ahead: int) -> tuple[float, float]:
    """(P(served), E[W; served]) for a FIFO arrival finding ``ahead`` waiting, stage by stage."""
    p_reach, elapsed, ew_served = 1.0, 0.0, 0.0
    for i in range(ahead, -1, -1):  # i customers still ahead in the queue
        progress = n * mu + i * theta
        elapsed += 1.0 / (progress + theta)
        p_reach *= progress / (progress + theta)
    ew_served = p_reach * elapsed
    return p_reach, ew_served


# --------------------------------------------------------------------------- Erlang B


@pytest.mark.parametrize(
    ("servers", "load", "published"),
    [(10, 5.0, 0.018385), (5, 2.0, 0.036697), (1, 1.0, 0.5), (2, 1.0, 0.2)],
)
def test_erlang_b_published_values(servers: int, load: float, published: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(published, abs=5e-7)


@pytest.mark.parametrize(
    ("servers", "load"), [(10, 4.461), (20, 12.031), (50, 37.901), (100, 84.064)]
)
def test_erlang_b_matches_one_percent_grade_of_service_table(servers: int, load: float) -> None:
    # Standard Erlang B table, 1 % column: loads are printed to 3 decimals.
    assert erlang_b(servers, load) == pytest.approx(0.01, rel=2e-3)


@pytest.mark.parametrize("servers", [0, 1, 2, 3, 7, 15, 30])
@pytest.mark.parametrize("load", [Fraction(1, 3), Fraction(2), Fraction(19, 2), Fraction(25)])
def test_erlang_b_recursion_equals_factorial_formula(servers: int, load: Fraction) -> None:
    assert erlang_b(servers, float(load)) == pytest.approx(float(exact_b(servers, load)), rel=1e-12)


@pytest.mark.parametrize(("servers", "load"), [(5000, 5000), (5000, 4000), (3000, 4500)])
def test_erlang_b_is_exact_for_thousands_of_servers(servers: int, load: int) -> None:
    assert erlang_b(servers, load) == pytest.approx(big_b(servers, load), rel=1e-10)


def test_erlang_b_edges() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(4, 0.0) == 0.0
    assert erlang_b(5000, 1.0) == 0.0  # below the smallest double, not an error
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_b(3, -1.0)
    with pytest.raises(ValueError):
        erlang_b(3, math.nan)


# --------------------------------------------------------------------------- Erlang C


def test_erlang_c_textbook_value() -> None:
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=5e-5)


@pytest.mark.parametrize("servers", [1, 2, 5, 12, 40])
@pytest.mark.parametrize("utilisation", [Fraction(1, 10), Fraction(1, 2), Fraction(19, 20)])
def test_erlang_c_equals_its_own_formula(servers: int, utilisation: Fraction) -> None:
    load = servers * utilisation
    assert erlang_c(servers, float(load)) == pytest.approx(float(exact_c(servers, load)), rel=1e-12)


def test_erlang_c_large_and_unstable() -> None:
    a = Fraction(4900)
    b = Fraction(big_b(5000, 4900))
    expected = float(5000 * b / (5000 - a * (1 - b)))
    assert erlang_c(5000, 4900.0) == pytest.approx(expected, rel=1e-10)
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.0) == 1.0
    assert erlang_c(3, 0.0) == 0.0


def test_erlang_c_waits() -> None:
    # M/M/1 with rho = 1/2, mean service 10 s: Wq = rho s / (1 - rho) = 10 s,
    # P(W > t) = rho exp(-(1 - rho) t / s).
    assert erlang_c_mean_wait(1, 0.5, 10.0) == pytest.approx(10.0)
    assert erlang_c_service_level(1, 0.5, 10.0, 20.0) == pytest.approx(1 - 0.5 * math.exp(-1.0))
    assert erlang_c_service_level(10, 8.0, 180.0, 0.0) == pytest.approx(1 - erlang_c(10, 8.0))
    assert erlang_c_mean_wait(10, 10.0, 1.0) == math.inf
    assert erlang_c_service_level(10, 11.0, 1.0, 5.0) == 0.0


def test_agents_for_service_level_is_smallest() -> None:
    load, aht, t, target = 48.0, 240.0, 20.0, 0.8
    n = agents_for_service_level(load, aht, t, target)
    assert erlang_c_service_level(n, load, aht, t) >= target
    assert erlang_c_service_level(n - 1, load, aht, t) < target
    assert agents_for_service_level(0.0, 60.0, 20.0, 0.8) == 1
    big = agents_for_service_level(4000.0, 300.0, 20.0, 0.9)
    assert erlang_c_service_level(big - 1, 4000.0, 300.0, 20.0) < 0.9
    assert erlang_c_service_level(big, 4000.0, 300.0, 20.0) >= 0.9
    with pytest.raises(ValueError):
        agents_for_service_level(10.0, 60.0, 20.0, 1.0)


# --------------------------------------------------------------------------- Erlang A


CASES = [
    (10, 8.0, 1.0, 0.5),
    (10, 12.0, 1.0, 2.0),
    (3, 1.0, 0.5, 0.1),
    (50, 55.0, 1.0, 0.2),
    (100, 1 / 3, 1 / 300, 1 / 60),
]


@pytest.mark.parametrize(("n", "lam", "mu", "theta"), CASES)
def test_erlang_a_matches_independent_birth_death_chain(
    n: int, lam: float, mu: float, theta: float
) -> None:
    probs = birth_death(n, lam, mu, theta)
    r = erlang_a(n, lam, mu, theta)
    p_wait = math.fsum(probs[n:])
    mean_queue = math.fsum((k - n) * p for k, p in enumerate(probs) if k > n)
    busy = math.fsum(min(k, n) * p for k, p in enumerate(probs))
    # Abandonment and served wait from what each arrival sees (PASTA), stage by stage.
    seen = [served_wait_by_stages(n, mu, theta, k - n) for k in range(n, len(probs))]
    p_served_queued = math.fsum(p * s[0] for p, s in zip(probs[n:], seen, strict=True))
    served_wait = math.fsum(p * s[1] for p, s in zip(probs[n:], seen, strict=True))
    p_abandon = p_wait - p_served_queued
    assert r.p_wait == pytest.approx(p_wait, rel=1e-10)
    assert r.mean_queue == pytest.approx(mean_queue, rel=1e-10)
    assert r.p_abandon == pytest.approx(p_abandon, rel=1e-9)
    assert r.mean_wait_served == pytest.approx(served_wait / (1 - p_abandon), rel=1e-9)
    assert r.throughput == pytest.approx(mu * busy, rel=1e-10)  # flow balance
    assert r.utilisation == pytest.approx(busy / n, rel=1e-10)


@pytest.mark.parametrize(("n", "lam", "mu", "theta"), CASES)
def test_erlang_a_littles_law_identities(n: int, lam: float, mu: float, theta: float) -> None:
    r = erlang_a(n, lam, mu, theta)
    assert r.p_abandon == pytest.approx(theta * r.mean_queue / lam, rel=1e-12)
    assert r.mean_wait == pytest.approx(r.mean_queue / lam, rel=1e-12)
    assert r.mean_wait == pytest.approx(r.p_abandon / theta, rel=1e-12)


@pytest.mark.parametrize(("n", "lam", "mu", "theta"), CASES)
def test_erlang_a_matches_gmr_incomplete_gamma_formula(
    n: int, lam: float, mu: float, theta: float
) -> None:
    # GMR02: sum_j pi_{n+j}/pi_n = Gamma(x+1) e^y y^-x P(x, y), x = n mu/theta, y = lam/theta.
    x, y = n * mu / theta, lam / theta
    s = math.exp(gammaln(x + 1) + y - x * math.log(y)) * gammainc(x, y)
    r_idle = 1 / erlang_b(n, lam / mu) - 1
    assert erlang_a(n, lam, mu, theta).p_wait == pytest.approx(s / (r_idle + s), rel=1e-9)


def test_erlang_a_with_patience_equal_to_service_is_poisson() -> None:
    # theta == mu: every customer in the system leaves at rate mu, so N ~ Poisson(A).
    n, load = 5000, 5000.0
    r = erlang_a(n, load, 1.0, 1.0)
    k = range(n + 1, n + 2000)
    expected_queue = math.fsum((j - n) * poisson.pmf(j, load) for j in k)
    assert r.p_wait == pytest.approx(poisson.sf(n - 1, load), rel=1e-10)
    assert r.mean_queue == pytest.approx(expected_queue, rel=1e-9)
    assert r.p_abandon == pytest.approx(expected_queue / load, rel=1e-9)


@pytest.mark.parametrize(("n", "load"), [(10, 8.0), (100, 95.0), (2000, 1990.0)])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n: int, load: float) -> None:
    r = erlang_a(n, load, 1.0, 1e-9)
    assert r.p_wait == pytest.approx(erlang_c(n, load), rel=1e-6)
    assert r.mean_wait == pytest.approx(erlang_c_mean_wait(n, load, 1.0), rel=1e-6)
    assert r.mean_wait_served == pytest.approx(erlang_c_mean_wait(n, load, 1.0), rel=1e-6)
    exact = erlang_a(n, load, 1.0, 0.0)
    assert exact.p_wait == erlang_c(n, load)
    assert exact.p_abandon == 0.0


def test_erlang_a_overload_with_infinite_patience_is_unstable_m_m_n() -> None:
    r = erlang_a(10, 12.0, 1.0, 0.0)
    assert (r.p_wait, r.p_abandon, r.mean_wait, r.utilisation) == (1.0, 0.0, math.inf, 1.0)


@pytest.mark.parametrize("theta", [1e-3, 1e-6, 1e-10])
def test_erlang_a_overload_with_little_patience_saturates_agents(theta: float) -> None:
    # The excess 2/12 of arrivals abandons. With theta = 1e-10 the queue holds
    # about 2e10 customers and is summed over several chunks of states.
    slow = erlang_a(10, 12.0, 1.0, theta)
    assert slow.p_abandon == pytest.approx(1 / 6, rel=1e-12)
    assert slow.utilisation == pytest.approx(1.0, rel=1e-12)
    assert slow.mean_wait == pytest.approx(slow.p_abandon / theta, rel=1e-12)


def test_erlang_a_edges() -> None:
    assert erlang_a(5, 0.0, 1.0, 1.0) == ErlangAResult(5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert erlang_a(5, 4.0, 1.0, 1.0).p_served == pytest.approx(
        1 - erlang_a(5, 4.0, 1.0, 1.0).p_abandon
    )
    for bad in [(0, 1.0, 1.0, 1.0), (5, -1.0, 1.0, 1.0), (5, 1.0, 0.0, 1.0), (5, 1.0, 1.0, -1.0)]:
        with pytest.raises(ValueError):
            erlang_a(*bad)
    with pytest.raises(ValueError, match="patience_rate is too small"):
        erlang_a(10, 1000.0, 1.0, 1e-12)


def test_agents_for_erlang_a_abandonment_is_smallest() -> None:
    lam, mu, theta, target = 5000 / 300, 1 / 300, 1 / 120, 0.02
    n = agents_for_erlang_a_abandonment(lam, mu, theta, target)
    assert erlang_a(n, lam, mu, theta).p_abandon <= target
    assert erlang_a(n - 1, lam, mu, theta).p_abandon > target
    assert agents_for_erlang_a_abandonment(0.5, 1.0, 1.0, 0.9) == 1
    with pytest.raises(ValueError):
        agents_for_erlang_a_abandonment(1.0, 1.0, 0.0, 0.1)


# --------------------------------------------------------------------------- properties

servers = st.integers(min_value=1, max_value=150)
loads = st.floats(min_value=0.01, max_value=200.0)
rates = st.floats(min_value=0.01, max_value=10.0)


@given(servers, loads)
def test_erlang_b_is_a_probability_decreasing_in_servers(n: int, a: float) -> None:
    b = erlang_b(n, a)
    assert 0.0 <= b <= 1.0
    assert erlang_b(n + 1, a) <= b


@given(servers, loads, st.floats(min_value=1.0, max_value=2.0))
def test_erlang_b_increases_with_load(n: int, a: float, factor: float) -> None:
    assert erlang_b(n, a * factor) >= erlang_b(n, a)


@given(servers, loads)
def test_erlang_c_is_at_least_erlang_b(n: int, a: float) -> None:
    assert 1.0 >= erlang_c(n, a) >= erlang_b(n, a)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=60), rates, rates, rates)
def test_erlang_a_abandonment_is_a_probability_decreasing_in_servers(
    n: int, lam: float, mu: float, theta: float
) -> None:
    lam *= 10
    here, more = erlang_a(n, lam, mu, theta), erlang_a(n + 1, lam, mu, theta)
    assert 0.0 <= here.p_abandon <= 1.0
    assert 0.0 <= here.p_wait <= 1.0
    assert more.p_abandon <= here.p_abandon * (1 + 1e-12)
    # Agents cannot serve more than n mu, so at least the excess abandons.
    assert here.p_abandon >= 1.0 - n * mu / lam - 1e-12
    assert 0.0 <= here.utilisation <= 1.0 + 1e-12

"""Erlang B, C and A: the analytic queueing models a capacity planner checks against.

All functions are pure and numerically stable up to thousands of servers and
thousands of Erlangs: Erlang B comes from its recursion (never factorials) and
Erlang A from its birth-death chain summed in log space.

Units: ``load`` is offered traffic in Erlangs (arrival rate x mean service
time). Rates passed to :func:`erlang_a` may use any time unit as long as all
three use the same one; the waits it returns are in that unit's reciprocal
(rates per second give waits in seconds).

References:
    [Jag74] D. L. Jagerman, "Some properties of the Erlang loss function",
        Bell System Technical Journal 53(3):525-551, 1974.
    [Coo81] R. B. Cooper, *Introduction to Queueing Theory*, 2nd ed.,
        North-Holland, 1981, chapter 3 (Erlang B and Erlang C).
    [GKM03] N. Gans, G. Koole, A. Mandelbaum, "Telephone call centers:
        tutorial, review, and research prospects", Manufacturing & Service
        Operations Management 5(2):79-141, 2003.
    [GMR02] O. Garnett, A. Mandelbaum, M. Reiman, "Designing a call center
        with impatient customers", Manufacturing & Service Operations
        Management 4(3):208-227, 2002.
    [MZ07] A. Mandelbaum, S. Zeltyn, "The M/M/n+G queue: summary of
        performance measures", technical note, Technion, 2007.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, psi

__all__ = [
    "ErlangAResult",
    "agents_for_erlang_a_abandonment",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_mean_wait",
    "erlang_c_service_level",
]

# Queue states whose probability is below e^-60 (~9e-27) of the most likely
# one are dropped: far under the 1e-15 the results are promised to, with
# room for the sum of up to _MAX_QUEUE_STATES of them.
_LOG_CUTOFF = 60.0
_MAX_QUEUE_STATES = 10_000_000
_CHUNK = 1 << 20


def _servers(servers: int, minimum: int = 0) -> int:
    n = operator.index(servers)
    if n < minimum:
        raise ValueError(f"servers must be an integer >= {minimum}, got {servers!r}")
    return n


def _finite(name: str, value: float, *, positive: bool = False) -> float:
    v = float(value)
    if not math.isfinite(v) or v < 0.0 or (positive and v == 0.0):
        bound = "> 0" if positive else ">= 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value!r}")
    return v


def _fraction(name: str, value: float) -> float:
    v = float(value)
    if not 0.0 < v < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v


# --------------------------------------------------------------------------- Erlang B / C


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of the M/M/c/c loss system (Erlang B).

    Computed by the recursion ``B(0) = 1``, ``B(k) = A B(k-1) / (k + A B(k-1))``
    [Jag74], [Coo81]: every intermediate value lies in [0, 1], so it
    neither overflows nor loses precision for thousands of servers. ``B(0, A)``
    is 1; ``B(c, 0)`` is 0 for ``c >= 1``.

    Raises:
        ValueError: ``servers`` is negative or ``load`` negative or not finite.
    """
    n = _servers(servers)
    a = _finite("load", load)
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def _erlang_c_from_b(servers: int, load: float, b: float) -> float:
    # C = cB / (c - A(1 - B)) [Coo81]; the caller ensures A < c.
    return servers * b / (servers - load * (1.0 - b))


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in the M/M/c queue (Erlang C).

    Derived from Erlang B as ``C = cB / (c - A(1 - B))`` [Coo81],
    so it shares the recursion's stability. Returns 1.0 when ``load >= servers``:
    the queue is unstable and, in the long run, every arrival waits.
    """
    n = _servers(servers)
    a = _finite("load", load)
    if a >= n:
        return 1.0
    return _erlang_c_from_b(n, a, erlang_b(n, a))


def erlang_c_mean_wait(servers: int, load: float, mean_service_s: float) -> float:
    """Mean wait in queue ``Wq = C s / (c - A)`` of all arrivals to M/M/c [Coo81].

    The result is in the unit of ``mean_service_s``; ``inf`` when ``load >= servers``.
    """
    s = _finite("mean_service_s", mean_service_s, positive=True)
    n = _servers(servers)
    a = _finite("load", load)
    if a >= n:
        return math.inf
    return erlang_c(n, a) * s / (n - a)


def erlang_c_service_level(
    servers: int, load: float, mean_service_s: float, threshold_s: float
) -> float:
    """Service level ``P(W <= t) = 1 - C exp(-(c - A) t / s)`` of M/M/c [GKM03].

    The fraction of all arrivals (waiting or not) whose wait is at most
    ``threshold_s``; 0.0 when ``load >= servers``.
    """
    s = _finite("mean_service_s", mean_service_s, positive=True)
    t = _finite("threshold_s", threshold_s)
    n = _servers(servers)
    a = _finite("load", load)
    if a >= n:
        return 0.0
    return 1.0 - erlang_c(n, a) * math.exp(-(n - a) * t / s)


def agents_for_service_level(
    load: float, mean_service_s: float, threshold_s: float, target: float
) -> int:
    """Smallest number of agents whose Erlang C service level reaches ``target``.

    The search starts at the smallest stable staffing ``floor(load) + 1`` (so
    the answer is always at least 1) and walks up one agent at a time, carrying
    the Erlang B recursion along, so the cost is linear in the answer.

    Raises:
        ValueError: ``target`` not strictly between 0 and 1, or a bad input.
    """
    a = _finite("load", load)
    s = _finite("mean_service_s", mean_service_s, positive=True)
    t = _finite("threshold_s", threshold_s)
    goal = _fraction("target", target)
    n = math.floor(a) + 1
    b = erlang_b(n, a)
    while 1.0 - _erlang_c_from_b(n, a, b) * math.exp(-(n - a) * t / s) < goal:
        n += 1
        b = a * b / (n + a * b)
    return n


# --------------------------------------------------------------------------- Erlang A


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady state of the M/M/n+M (Erlang A) queue [GMR02].

    Attributes:
        servers: number of agents ``n``.
        offered_load: ``lambda / mu`` in Erlangs.
        p_wait: probability that an arrival finds every agent busy and queues.
        p_abandon: probability that an arrival abandons before service.
        mean_queue: time-average number waiting, ``E[Q]``.
        mean_wait: mean time in queue over all arrivals (served, abandoned and
            never queued alike), ``E[W] = E[Q] / lambda``.
        mean_wait_served: mean time in queue of the arrivals that are served,
            zero waits included (the ASA a contact centre reports); nan if
            rounding leaves no arrival served.
        throughput: rate of served arrivals, ``lambda (1 - p_abandon)``.
        utilisation: fraction of agent time busy, ``throughput / (n mu)``.
    """

    servers: int
    offered_load: float
    p_wait: float
    p_abandon: float
    mean_queue: float
    mean_wait: float
    mean_wait_served: float
    throughput: float
    utilisation: float

    @property
    def p_served(self) -> float:
        """Probability that an arrival is served, ``1 - p_abandon``."""
        return 1.0 - self.p_abandon


def _log1p_exp(z: float) -> float:
    """``log(1 + e^z)`` without overflow for large ``z``."""
    return z + math.log1p(math.exp(-z)) if z > 0.0 else math.log1p(math.exp(z))


def _log_idle_block(servers: int, load: float) -> float:
    """``log sum_{k<n} pi_k / pi_n``: the states with an idle agent, relative to pi_n.

    ``R_n = (n / A)(1 + R_{n-1})``, ``R_0 = 0``; it is ``1/B(n, A) - 1``, kept in
    log space because 1/B overflows when the load is far below the staffing.
    """
    log_r = -math.inf
    log_a = math.log(load)
    for k in range(1, servers + 1):
        log_r = math.log(k) - log_a + _log1p_exp(log_r)
    return log_r


def _log_t(j: int, x: float, y: float) -> float:
    # log of t_j = y^j / prod_{i=1..j} (x + i); only used to place the window,
    # where its rounding for huge x (about 1e-2 at x = 1e12) is harmless.
    return float(j * math.log(y) - (gammaln(x + j + 1.0) - gammaln(x + 1.0)))


def _window_edge(x: float, y: float, mode: int, direction: int) -> int:
    """Furthest ``j`` from the mode in ``direction`` with ``t_j >= e^-cutoff t_mode``.

    ``log t_j`` is concave in ``j``, so an outward doubling then a bisection
    finds the edge in O(log) evaluations.
    """
    floor = _log_t(mode, x, y) - _LOG_CUTOFF

    def inside(j: int) -> bool:
        return _log_t(j, x, y) >= floor

    inner, step = mode, 1
    while True:
        outer = max(mode + direction * step, 0)
        if not inside(outer):
            break
        if outer == 0:
            return 0
        inner, step = outer, 2 * step
    while abs(outer - inner) > 1:
        mid = (inner + outer) // 2
        inner, outer = (mid, outer) if inside(mid) else (inner, mid)
    return inner


@dataclass(frozen=True, slots=True)
class _QueueSums:
    """Sums over queue lengths j of w_j = t_j / t_mode (see :func:`_queue_sums`)."""

    log_scale: float  # log t_mode
    total: float  # sum w_j
    first_moment: float  # sum j w_j
    served_wait: float  # sum w_j x/(x+j+1) H_j


def _queue_sums(x: float, y: float) -> _QueueSums:
    """Sum the queue part of the chain, ``pi_{n+j} / pi_n = t_j``.

    With ``x = n mu / theta`` and ``y = lambda / theta``,
    ``t_j = prod_{i=1..j} y / (x + i)``. Only the window of j holding all but
    e^-60 of the mass is summed, in chunks, from log-space increments.
    ``H_j = sum_{m=1..j+1} 1/(x+m)`` times 1/theta is the mean time a customer
    who finds j waiting spends in queue given it is served, which it is with
    probability ``x / (x + j + 1)`` ([MZ07] specialised to exponential patience).
    """
    mode = max(0, math.floor(y - x))
    lo, hi = _window_edge(x, y, mode, -1), _window_edge(x, y, mode, +1)
    if hi - lo + 1 > _MAX_QUEUE_STATES:
        raise ValueError(
            f"Erlang A queue would need {hi - lo + 1} states: patience_rate is too small "
            "for this overload; use patience_rate=0 for the no-abandonment limit"
        )
    log_scale = _log_t(mode, x, y)
    # When lo == 0 the first weight is exactly t_0 / t_mode, so log_scale cancels.
    log_w_carry = (0.0 if lo == 0 else _log_t(lo, x, y)) - log_scale
    h_carry = float(psi(x + lo + 1.0) - psi(x + 1.0))  # H_{lo-1}
    total = first = served = 0.0
    for start in range(lo, hi + 1, _CHUNK):
        j = np.arange(start, min(start + _CHUNK, hi + 1), dtype=np.float64)
        steps = np.log(y / (x + j))
        if start == lo:
            steps[0] = log_w_carry
        else:
            steps[0] += log_w_carry
        log_w = np.cumsum(steps)
        h = h_carry + np.cumsum(1.0 / (x + j + 1.0))
        log_w_carry, h_carry = float(log_w[-1]), float(h[-1])
        w = np.exp(log_w)
        total += float(w.sum())
        first += float((j * w).sum())
        served += float((w * (x / (x + j + 1.0)) * h).sum())
    return _QueueSums(log_scale, total, first, served)


def _erlang_a_without_abandonment(n: int, lam: float, mu: float) -> ErlangAResult:
    """The theta = 0 limit, M/M/n; when unstable the queue grows without bound."""
    a = lam / mu
    if a >= n:
        inf = math.inf
        return ErlangAResult(n, a, 1.0, 0.0, inf, inf, inf, n * mu, 1.0)
    wq = erlang_c_mean_wait(n, a, 1.0 / mu)
    return ErlangAResult(n, a, erlang_c(n, a), 0.0, lam * wq, wq, wq, lam, a / n)


def erlang_a(
    servers: int, arrival_rate: float, service_rate: float, patience_rate: float
) -> ErlangAResult:
    """Exact steady state of the M/M/n+M (Erlang A, Palm) queue [GMR02].

    Poisson arrivals (rate lambda), exponential service (rate mu) by ``n`` agents,
    FIFO queue, each waiting customer abandoning at rate theta. The birth-death
    chain has death rate ``min(k, n) mu + max(k - n, 0) theta``; its idle part is
    Erlang B's (``1/B(n, A) - 1`` relative to state n) and its queue part is
    summed in log space (see :func:`_queue_sums`), which is what GMR02's
    incomplete-gamma formulas evaluate. Then by PASTA and Little:

    * ``p_wait = P(N >= n)``,
    * ``p_abandon = theta E[Q] / lambda`` [GMR02], ``mean_wait = E[Q] / lambda``,
    * ``mean_wait_served`` from ``P(served | j waiting) = x / (x + j + 1)`` [MZ07].

    ``patience_rate == service_rate`` needs no special case (the chain is then
    M/M/infinity and N is Poisson(A)). ``patience_rate -> 0`` converges to
    Erlang C when ``A < n``; ``patience_rate == 0`` returns M/M/n, and when also
    ``A >= n``: ``p_wait = 1``, ``p_abandon = 0``, waits ``inf``, utilisation 1.

    Raises:
        ValueError: ``servers < 1``, ``service_rate <= 0``, a negative or
            non-finite rate, or a patience so small against an overload that
            the queue needs more than ten million states.
    """
    n = _servers(servers, minimum=1)
    lam = _finite("arrival_rate", arrival_rate)
    mu = _finite("service_rate", service_rate, positive=True)
    theta = _finite("patience_rate", patience_rate)
    a = lam / mu
    if lam == 0.0:
        return ErlangAResult(n, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if theta == 0.0:
        return _erlang_a_without_abandonment(n, lam, mu)
    x, y = n * mu / theta, lam / theta
    q = _queue_sums(x, y)
    # pi_n t_mode = 1 / (R / t_mode + sum w): taking the ratio R / t_mode in log
    # space keeps log t_mode (1e9 in heavy overload) out of every rounding that
    # matters, as the idle states then carry no weight.
    log_idle = _log_idle_block(n, a) - q.log_scale
    idle = math.exp(log_idle) if log_idle < 700.0 else math.inf
    scale = 1.0 / (idle + q.total)
    mean_queue = scale * q.first_moment
    p_abandon = min(1.0, theta * mean_queue / lam)
    throughput = lam * (1.0 - p_abandon)
    served_wait = scale * q.served_wait / theta  # E[W; served]
    return ErlangAResult(
        servers=n,
        offered_load=a,
        p_wait=scale * q.total,
        p_abandon=p_abandon,
        mean_queue=mean_queue,
        mean_wait=mean_queue / lam,
        mean_wait_served=served_wait / (1.0 - p_abandon) if p_abandon < 1.0 else math.nan,
        throughput=throughput,
        utilisation=throughput / (n * mu),
    )


def agents_for_erlang_a_abandonment(
    arrival_rate: float, service_rate: float, patience_rate: float, max_abandon: float
) -> int:
    """Smallest number of agents whose Erlang A abandonment is at most ``max_abandon``.

    P(abandon) decreases in n, so a doubling then a bisection needs about
    2 log2(answer) evaluations of :func:`erlang_a`.

    Raises:
        ValueError: ``patience_rate`` is not > 0 (with no abandonment every
            staffing meets the target), ``max_abandon`` not in (0, 1), or a bad rate.
    """
    _finite("patience_rate", patience_rate, positive=True)
    goal = _fraction("max_abandon", max_abandon)

    def meets(n: int) -> bool:
        return erlang_a(n, arrival_rate, service_rate, patience_rate).p_abandon <= goal

    failing, passing = 0, 1  # n = 0 would lose every arrival
    while not meets(passing):
        failing, passing = passing, 2 * passing
    while passing - failing > 1:
        mid = (failing + passing) // 2
        failing, passing = (failing, mid) if meets(mid) else (mid, passing)
    return passing

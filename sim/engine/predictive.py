"""Predictive pacing: dial ahead of agent availability, within an abandonment target.

At every decision the pacer estimates

- ``p``: the probability that a dial needs an agent (a live answer that AMD
  lets through, or a machine taken for a person), as an exponentially
  weighted mean over the campaign's finished dials;
- ``tau``: the mean time from ring start to answer, likewise;
- the agents free by then: free now, plus each agent on a contact or in
  after-contact work finishing within ``tau`` (memoryless approximation on the
  scenario's mean talk and after-contact-work times), scaled by the
  campaign's bandwidth allocation, less live calls already waiting.

It dials the largest ``n`` such that the ``k + n`` dials in flight are
unlikely to bring more live answers than agents: with the normal
approximation of Binomial(k + n, p), ``mean + z * sd <= supply + 0.5``, solved
in closed form so a decision is O(1) on the hot path.

``z`` is the over-dial control. A stochastic-approximation step moves it
after every live call that needed an agent (up by ``gain * (1 - target)`` on an
abandonment, down by ``gain * target`` on a connection), so the long-run
abandonment rate settles on the target; while the rolling evaluation window
is above the target, a penalty proportional to the excess is added, so the
rate over the window is pulled back at once. This is the abandonment-rate
pacing of the outbound campaigns v2 API (targetRate, evaluationWindow).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from sim.engine.agents import Agent, QueuePool
from sim.engine.clock import Clock
from sim.engine.lines import Lines, Share
from sim.scenario import CallDurations, Campaign, Outcomes, PredictiveConfig

GAIN = 0.15  # step of z per live call
Z_MIN, Z_MAX = -2.0, 6.0
Z_START = 3.0  # start cautious: early abandonments count against the window too
AIM = 0.8  # the step aims a little under the target, so the rate stays at or below it
SMOOTHING = 0.01  # weight of one observation in the running estimates
PENALTY = 3.0  # z added per unit of relative excess over the target in the window
MIN_WINDOW_CALLS = 20  # no window penalty before this many live calls in it
P_FLOOR = 0.02


class Estimates:
    """The pacer's starting estimates, from the campaign's typed scenario models."""

    __slots__ = ("acw_mean", "p", "talk_mean", "tau")

    def __init__(
        self, campaign: Campaign, outcomes: Outcomes, durations: CallDurations, acw_mean: float
    ) -> None:
        outcomes = campaign.outcomes or outcomes
        prior = campaign.predictive.initial_live_answer_estimate
        if prior is None:
            amd = campaign.answering_machine_detection
            human = outcomes.live_answer * (1.0 - (outcomes.amd.human_as_machine if amd else 0.0))
            machine = outcomes.voicemail * (outcomes.amd.machine_as_human if amd else 1.0)
            prior = human + machine
        self.p = max(P_FLOOR, float(prior))
        self.tau = min(durations.ring_to_answer.mean(), campaign.ring_timeout)
        self.talk_mean = durations.talk.mean()
        self.acw_mean = acw_mean


class PredictivePacer:
    """Dials ahead of agents; see the module docstring for the rule.

    ``waiting(queue)`` counts the live calls already waiting for the queue's
    agents; the pacer is also the campaign's ``PacingFeedback``.
    """

    def __init__(
        self,
        config: PredictiveConfig,
        estimates: Estimates,
        share: Share,
        pool: QueuePool,
        lines: Lines,
        clock: Clock,
        waiting: Callable[[str], int],
    ) -> None:
        self.share = share
        self.pool = pool
        self.lines = lines
        self.clock = clock
        self.waiting = waiting
        self.target: float = config.target_abandonment
        self.immediate = config.pacing == "immediate"
        self.window: float = config.evaluation_window
        self.p = estimates.p
        self.tau = estimates.tau
        self.talk_mean = estimates.talk_mean
        self.acw_mean = estimates.acw_mean
        self.z = Z_START
        self.inflight = 0  # ringing dials not yet answered or failed
        self.recent: deque[tuple[float, bool]] = deque()  # live results in the window
        self.recent_abandoned = 0
        self._update_finish_odds()

    def _update_finish_odds(self) -> None:
        tau = self.tau
        busy = self.talk_mean + self.acw_mean
        self.f_talk = 1.0 - math.exp(-tau / busy) if busy > 0 else 1.0
        self.f_acw = 1.0 - math.exp(-tau / self.acw_mean) if self.acw_mean > 0 else 1.0

    # -- the decision -----------------------------------------------------------

    def supply(self) -> float:
        """Agents expected free for this campaign by the time a new dial answers."""
        pool = self.pool
        expected = len(pool.available) + pool.talking * self.f_talk + pool.wrapping * self.f_acw
        return self.share.bandwidth_allocation * expected - self.waiting(pool.name)

    def z_effective(self) -> float:
        self._prune(self.clock.now)
        z = self.z
        live = len(self.recent)
        if live >= MIN_WINDOW_CALLS and self.target > 0:
            rate = self.recent_abandoned / live
            if rate > self.target:
                z += PENALTY * (rate - self.target) / self.target
        return z

    def capacity(self) -> int:
        if self.immediate:
            return self.lines.headroom(self.share)
        room = self.supply() + 0.5
        if room <= 0.0:
            return 0
        p = self.p
        z = self.z_effective()
        sd = math.sqrt(p * (1.0 - p))
        root = (-z * sd + math.sqrt(z * z * sd * sd + 4.0 * p * room)) / (2.0 * p)
        ahead = math.floor(root * root)
        # Never slower than progressive: one dial per agent free right now.
        free_now = math.floor(
            self.share.bandwidth_allocation * len(self.pool.available)
            - self.waiting(self.pool.name)
        )
        wanted = max(ahead, free_now) - self.inflight
        if wanted <= 0:
            return 0
        return min(wanted, self.lines.headroom(self.share))

    def saturated(self) -> bool:
        return False  # its capacity moves with its estimates, not only on kicks

    def claim(self, contact_ids: list[str]) -> list[Agent | None]:
        n = len(contact_ids)
        self.lines.claim(self.share, n)
        self.inflight += n
        return [None] * n

    # -- what the calls tell the pacer ---------------------------------------------

    def rang_out(self, needs_agent: bool, answer_delay: float | None) -> None:
        """A dial stopped ringing: answered after ``answer_delay``, or not at all."""
        self.inflight -= 1
        self.p += SMOOTHING * ((1.0 if needs_agent else 0.0) - self.p)
        if self.p < P_FLOOR:
            self.p = P_FLOOR
        if answer_delay is not None:
            self.tau += SMOOTHING * (answer_delay - self.tau)
            self._update_finish_odds()

    def live_result(self, abandoned: bool, now: float) -> None:
        """A call that needed an agent got one, or was abandoned."""
        target = self.target * AIM
        self.z += GAIN * ((1.0 - target) if abandoned else -target)
        if self.z < Z_MIN:
            self.z = Z_MIN
        elif self.z > Z_MAX:
            self.z = Z_MAX
        self.recent.append((now, abandoned))
        if abandoned:
            self.recent_abandoned += 1
        self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget live results older than the evaluation window."""
        recent = self.recent
        horizon = now - self.window
        while recent and recent[0][0] <= horizon:
            _, old = recent.popleft()
            if old:
                self.recent_abandoned -= 1

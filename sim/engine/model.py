"""The simulation model: wires the engine's parts on one clock and runs them.

``Model(scenario, rng, emitter, core).run()`` simulates from the scenario's
start until its horizon, or until every source is exhausted and nothing is
left to dial, whichever comes first; ``finish()`` ends the run (agents log
out, events are flushed, what is still pending is counted). At the horizon,
arrivals and new dials stop and calls in progress finish; requests still
buffered stay pending.

Each part is handed what it uses (docs/ARCHITECTURE.md draws them):

- ``AgentRoster`` (agents) and ``Staffing`` (shifts, breaks): clock, emitter;
- ``Lines``: the instance's concurrent calls, claimed per dial;
- ``RequestLifecycle``: terminal events, redials, the expiry sweep;
- ``Telephony`` with its ``WaitingQueue``: ring to COMPLETED;
- per campaign, a ``Dialer`` with its ``Pacer``, and a ``SourceFeed`` per source.

The model keeps only what spans them: the campaigns' dialers, the open
sources, the end-of-run check and the hooks a live client (the HTTP face)
calls.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import simpy
from simpy.events import AnyOf

from sim.connect import OutboundCore, ServiceError
from sim.domain import DialRequest
from sim.engine.agents import AgentRoster
from sim.engine.api import ApiClient
from sim.engine.calls import Telephony
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.dialer import Dialer
from sim.engine.lines import Lines
from sim.engine.loader import SourceFeed
from sim.engine.pacing import AgentlessPacer, Pacer, ProgressivePacer
from sim.engine.predictive import Estimates, PredictivePacer
from sim.engine.requests import RequestLifecycle
from sim.engine.sources import batches_for
from sim.engine.staffing import Staffing
from sim.engine.wire import config_from_api, create_request
from sim.scenario import Campaign, Scenario
from sim.scenario.distributions import Sampler

CONTROL_OPS = {"start": "StartCampaign", "pause": "PauseCampaign"}
CONTROL_OPS |= {"resume": "ResumeCampaign", "stop": "StopCampaign"}
SERVICE = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}
THROTTLED = frozenset({"ThrottlingException", "LimitExceededException"})
# Past the horizon only calls in progress may go on; a day more means a bug.
DRAIN_LIMIT_S = 86400.0


@dataclass(frozen=True)
class ModelResult:
    sim_start: float
    sim_end: float
    events: int
    pending_at_end: int


class Model:
    """One simulation run of a scenario."""

    def __init__(
        self,
        scenario: Scenario,
        rng: random.Random,
        emitter: Emitter,
        core: OutboundCore,
        env: simpy.Environment | None = None,
    ) -> None:
        self.scenario = scenario
        self.rng = rng
        self.emitter = emitter
        self.core = core
        self.start_ts = scenario.start_ts
        self.end_ts = scenario.end_ts
        # A caller may hand in its own environment (the HTTP face drives one
        # against the wall clock); it must start at the scenario's start.
        self.env = env if env is not None else simpy.Environment(initial_time=self.start_ts)
        self.clock = clock = Clock(self.env)
        self.api = ApiClient(core)
        self.roster = AgentRoster(clock, emitter)
        self.staffing = Staffing(clock, self.roster, scenario)
        self.lines = Lines(scenario.instance.concurrent_calls)
        self.lines.on_free.append(self._line_freed)
        self.requests = RequestLifecycle(
            clock, emitter, core, self.end_ts, wake=self._wake, idle=self._check_done
        )
        self._acw: dict[str, Sampler] = {}
        self._acw_means: dict[str, list[float]] = {}
        self.telephony = Telephony(
            clock, emitter, self.lines, self.roster, self._acw, self._attempt_over
        )
        self.dialers: dict[str, Dialer] = {}  # by campaign id, in creation order
        self.open_sources = 0
        self.finished = False
        self.closing = False
        self._stop = self.env.event()

    # -- set-up ---------------------------------------------------------------

    def setup(self) -> None:
        """Schedule staffing, campaigns, sources and the horizon (call once)."""
        scenario = self.scenario
        for group in scenario.agent_groups:
            self._acw[group.name] = group.after_contact_work.sampler(self.rng)
            self._acw_means.setdefault(group.queue, []).append(group.after_contact_work.mean())
            pool = self.roster.pool(group.queue)
            self.staffing.schedule(group)
            if not pool.on_free:
                self.telephony.waiting.serve_on_free(pool)
        for index, config in enumerate(scenario.campaigns):
            self._setup_campaign(index, config)
        self.clock.call_at(self.end_ts, self._horizon)

    def _setup_campaign(self, index: int, config: Campaign) -> None:
        scenario = self.scenario
        self.core.create_campaign(
            create_request(scenario.instance, config),
            api=config.api,
            now=self.start_ts,
            campaign_id=config.id,
        )
        runtime = self._add_runtime(config)
        if config.starts_running():
            self.clock.call_at(self.start_ts, self._control, (runtime, "start"))
        for action in config.schedule:
            self.clock.call_at(self.start_ts + action.at, self._control, (runtime, action.action))
        quotas = scenario.api.quotas
        quota = (
            quotas.put_dial_request_batch
            if config.api == "v1"
            else quotas.put_outbound_request_batch
        )
        min_gap = 1.0 / float(quota.rate)
        for s_index, source in enumerate(config.sources):
            feed = SourceFeed(
                runtime.id,
                config.api,
                f"s{index}-{s_index}",
                batches_for(source, self.rng, scenario.start, self.end_ts),
                source.expires_after,
                min_gap,
                clock=self.clock,
                emitter=self.emitter,
                client=self.api,
                rng=self.rng,
                end_ts=self.end_ts,
                accepted=self.requests.accepted,
                done=self._source_done,
            )
            self.open_sources += 1
            self.clock.call_at(self.start_ts, SourceFeed.start, feed)

    def _add_runtime(self, config: Campaign) -> CampaignRuntime:
        """A dialer for a campaign the core knows, wired to its queue's agents."""
        scenario = self.scenario
        runtime = CampaignRuntime(
            config,
            scenario.instance.phone_numbers[0],
            scenario.durations,
            scenario.outcomes,
            self.rng,
        )
        queue = runtime.queue_id
        pacer: Pacer
        if queue is None:
            pacer = AgentlessPacer(runtime.share, self.lines)
        elif runtime.mode == "predictive":
            pool = self.roster.pool(queue)
            estimates = Estimates(
                config, scenario.outcomes, scenario.durations, self._mean_acw(queue)
            )
            predictive = PredictivePacer(
                config.predictive,
                estimates,
                runtime.share,
                pool,
                self.lines,
                self.clock,
                self.telephony.waiting.count,
            )
            runtime.feedback = pacer = predictive
        else:
            # Preview reserves its agent like progressive; the review happens on the call.
            pacer = ProgressivePacer(
                runtime.share, self.roster.pool(queue), self.roster, self.lines
            )
        dialer = Dialer(
            runtime,
            pacer,
            clock=self.clock,
            emitter=self.emitter,
            core=self.core,
            api=self.api,
            rng=self.rng,
            requests=self.requests,
            start=self.telephony.start,
            idle=self._check_done,
            instance_id=scenario.instance.id,
            calls_per_second=scenario.api.dialer_calls_per_second
            or scenario.api.quotas.batch_put_contact.rate,
            end_ts=self.end_ts,
        )
        self.dialers[runtime.id] = dialer
        if queue is not None:
            pool = self.roster.pool(queue)
            pool.on_free.append(dialer.kick)
            pool.on_change.append(dialer.kick)
            if runtime.feedback is not None:
                pool.on_wrap.append(dialer.kick)
        return runtime

    def _mean_acw(self, queue: str) -> float:
        means = self._acw_means.get(queue, [0.0])
        return sum(means) / len(means)

    # -- hooks for a live client (the HTTP face) --------------------------------

    def attach_campaign(self, campaign_id: str) -> None:
        """Give a campaign created through the API (not the scenario) a dialer.

        Its settings come from the core's view of the campaign; call outcomes
        and durations from the scenario.
        """
        if campaign_id in self.dialers:
            return
        view = self.core.campaign(campaign_id)
        runtime = self._add_runtime(config_from_api(view))
        runtime.running = view.state == "Running"

    def detach_campaign(self, campaign_id: str) -> None:
        """A client deleted a campaign: its dialer stops for good.

        Calls already placed finish; the core has expired its buffer.
        """
        dialer = self.dialers.pop(campaign_id, None)
        if dialer is not None:
            dialer.runtime.running = False

    def campaign_changed(self, campaign_id: str) -> None:
        """A client changed a campaign's state: follow it, and dial if it runs."""
        dialer = self.dialers.get(campaign_id)
        if dialer is None:
            return
        self._follow_state(dialer)
        self.requests.watch_expiry()

    def requests_arrived(self, campaign_id: str) -> None:
        """A client's dial requests entered a campaign's buffer."""
        if campaign_id not in self.dialers:
            return
        expires = self.core.next_expiration()
        self.requests.accepted(campaign_id, math.inf if expires is None else expires)

    # -- campaign control ---------------------------------------------------------

    def _control(self, arg: tuple[CampaignRuntime, str]) -> None:
        runtime, action = arg
        service = SERVICE[runtime.config.api]
        request = {"id": runtime.id}
        result = self.api.call(service, CONTROL_OPS[action], request, self.clock.now)
        if isinstance(result, ServiceError) and result.code in THROTTLED:
            self.clock.call_in(1.0, self._control, arg)
            return
        dialer = self.dialers.get(runtime.id)
        if dialer is not None:
            self._follow_state(dialer)
        self._check_done()

    def _follow_state(self, dialer: Dialer) -> None:
        """Mirror the core's campaign state; a stopped campaign ends its carried retries."""
        state = self.core.campaign(dialer.campaign_id).state
        dialer.runtime.running = state == "Running"
        if dialer.runtime.running:
            dialer.kick()
        elif state == "Stopped":
            dialer.drop_carry("campaign_stopped")

    # -- callbacks used by the parts -------------------------------------------

    def _wake(self, campaign_id: str) -> None:
        dialer = self.dialers.get(campaign_id)
        if dialer is not None:
            dialer.kick()

    def _line_freed(self) -> None:
        for dialer in self.dialers.values():
            if dialer.runtime.running:
                dialer.kick()

    def _attempt_over(self, request: DialRequest, runtime: CampaignRuntime, outcome: str) -> None:
        self.requests.attempt_over(request, runtime.config.redial, outcome)

    def _source_done(self) -> None:
        self.open_sources -= 1
        self._check_done()

    # -- ending -----------------------------------------------------------------

    def _horizon(self, _arg: object = None) -> None:
        self.closing = True
        self._check_done()

    def _check_done(self) -> None:
        """Stop the run once nothing is left to happen (before the horizon: nothing
        left to dial either; after it: no call or BatchPutContact call in flight)."""
        if self.finished:
            return
        dialers = self.dialers.values()
        if self.telephony.active or any(d.in_call for d in dialers):
            return
        if not self.closing:
            if self.open_sources or self.requests.retries_waiting:
                return
            if any(d.carry for d in dialers):
                return
            if any(self.core.pending_count(c) for c in self.dialers):
                return
        self.finished = True
        self._stop.succeed()

    def _stuck(self) -> str:
        dialers = self.dialers.values()
        return (
            f"the run did not drain within {DRAIN_LIMIT_S:.0f}s after its horizon:"
            f" {self.telephony.active} calls active, "
            f"{sum(d.in_call for d in dialers)} requests in BatchPutContact calls,"
            f" {sum(len(d.carry) for d in dialers)} carried"
        )

    def run(self, progress: Callable[[float], None] | None = None) -> ModelResult:
        """Set up, simulate to the end, finish; ``progress`` gets the fraction done."""
        self.setup()
        env = self.env
        step = max(self.scenario.horizon / 200.0, 1.0)
        give_up = self.end_ts + DRAIN_LIMIT_S
        while not self.finished and env.peek() != math.inf:
            if env.now > give_up:
                raise RuntimeError(self._stuck())
            env.run(until=AnyOf(env, [self._stop, env.timeout(step)]))
            if progress is not None:
                progress(min(1.0, (env.now - self.start_ts) / self.scenario.horizon))
        return self.finish()

    def finish(self) -> ModelResult:
        """End the run at the clock's instant: every agent logs out, the events are
        flushed, and what was accepted but has no terminal event is counted (buffered,
        carried for a retry, waiting for a redial, or a redial due after the horizon)."""
        end = self.clock.now
        self.roster.logout_all()
        self.emitter.flush()
        pending = (
            sum(self.core.pending_count(c) for c in self.dialers)
            + sum(len(d.carry) for d in self.dialers.values())
            + self.requests.retries_waiting
            + self.requests.parked_at_end
        )
        return ModelResult(self.start_ts, end, self.emitter.count, pending)

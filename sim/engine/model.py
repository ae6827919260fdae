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
- ``RequestLifecycle``: terminal events of requests, the expiry sweep;
- ``Telephony`` with its ``WaitingQueue``: dial to COMPLETED;
- per campaign (``CampaignParts``): an ``Ingestor`` creating contacts as
  requests arrive, a ``Dialer`` with its ``Pacer`` dialing them, a
  ``SourceFeed`` per source and a ``RedialFeed`` (the client's side).

The model keeps only what spans them: the campaigns' parts, the open sources,
the end-of-run check and the hooks a live client (the HTTP face) calls.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import simpy
from simpy.events import AnyOf

from sim.connect import OutboundCore, ServiceError
from sim.domain import WaitingContact
from sim.engine.agents import Agent, AgentRoster
from sim.engine.api import ApiClient
from sim.engine.call import Call
from sim.engine.calls import Telephony
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.dialer import Dialer
from sim.engine.ingest import Ingestor
from sim.engine.lines import Lines
from sim.engine.loader import Client, SourceFeed
from sim.engine.pacing import AgentlessPacer, Pacer, ProgressivePacer
from sim.engine.predictive import Estimates, PredictivePacer
from sim.engine.redial import RedialFeed
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


@dataclass(frozen=True)
class CampaignParts:
    """What runs one campaign: its settings, ingestion, dialing and redials."""

    runtime: CampaignRuntime
    ingestor: Ingestor
    dialer: Dialer
    redial: RedialFeed | None


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
        self._client = Client(clock, emitter, self.api, rng, self.end_ts, self.requests.accepted)
        self.campaigns: dict[str, CampaignParts] = {}  # by campaign id, in creation order
        self.open_sources = 0
        self.finished = False
        self.closing = False
        self._schedule_end: float | None = None  # the armed v2 schedule end, if any
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
        limits = scenario.instance.communication_limits
        if limits is not None:
            request = {
                "connectInstanceId": scenario.instance.id,
                "communicationLimitsConfig": limits.wire(),
            }
            self.core.call(
                "connectcampaignsv2",
                "PutInstanceCommunicationLimits",
                request,
                caller="scenario",
                now=self.start_ts,
            )
        for index, config in enumerate(scenario.campaigns):
            self._setup_campaign(index, config)
        self.clock.call_at(self.end_ts, self._horizon)

    def _min_gap(self, api: str) -> float:
        """The client's gap between dial-request calls: its quota's rate."""
        quotas = self.scenario.api.quotas
        quota = quotas.put_dial_request_batch if api == "v1" else quotas.put_outbound_request_batch
        return 1.0 / float(quota.rate)

    def _setup_campaign(self, index: int, config: Campaign) -> None:
        scenario = self.scenario
        self.core.create_campaign(
            create_request(scenario.instance, config),
            api=config.api,
            now=self.start_ts,
            campaign_id=config.id,
        )
        parts = self._add_campaign(config, f"r{index}")
        runtime = parts.runtime
        if config.starts_running():
            self.clock.call_at(self.start_ts, self._control, (runtime, "start"))
        for action in config.schedule:
            self.clock.call_at(self.start_ts + action.at, self._control, (runtime, action.action))
        for s_index, source in enumerate(config.sources):
            feed = SourceFeed(
                runtime.id,
                config.api,
                f"s{index}-{s_index}",
                batches_for(source, self.rng, scenario.start, self.end_ts),
                source.expires_after,
                self._min_gap(config.api),
                self._client,
                self._source_done,
            )
            self.open_sources += 1
            self.clock.call_at(self.start_ts, SourceFeed.start, feed)

    def _add_campaign(self, config: Campaign, redial_prefix: str) -> CampaignParts:
        """Ingestion, dialing and redials for a campaign the core knows."""
        scenario = self.scenario
        runtime = CampaignRuntime(
            config,
            scenario.instance.phone_numbers[0],
            scenario.durations,
            scenario.outcomes,
            self.rng,
        )
        redial = None
        if config.redial.max_attempts > 1:
            redial = RedialFeed(
                config.redial,
                runtime.id,
                config.api,
                redial_prefix,
                iter(()),
                config.redial.expires_after,
                self._min_gap(config.api),
                self._client,
                self._check_done,
            )
        attempt_of = redial.attempt_of if redial is not None else _first_attempt
        telephony = self.telephony

        def start(runtime: CampaignRuntime, contact: WaitingContact, agent: Agent | None) -> None:
            telephony.start(runtime, contact, agent, attempt_of(contact.request_id))

        dialer = Dialer(
            runtime,
            self._pacer(runtime, config),
            clock=self.clock,
            core=self.core,
            start=start,
            end_ts=self.end_ts,
        )
        api = scenario.api
        ingestor = Ingestor(
            runtime,
            clock=self.clock,
            emitter=self.emitter,
            core=self.core,
            api=self.api,
            rng=self.rng,
            requests=self.requests,
            created=lambda: self._contacts_created(dialer),
            idle=self._check_done,
            instance_id=scenario.instance.id,
            calls_per_second=api.dialer_calls_per_second or api.quotas.batch_put_contact.rate,
            end_ts=self.end_ts,
        )
        parts = self.campaigns[runtime.id] = CampaignParts(runtime, ingestor, dialer, redial)
        if runtime.queue_id is not None:
            pool = self.roster.pool(runtime.queue_id)
            pool.on_free.append(dialer.kick)
            pool.on_change.append(dialer.kick)
            if runtime.feedback is not None:
                pool.on_wrap.append(dialer.kick)
        return parts

    def _pacer(self, runtime: CampaignRuntime, config: Campaign) -> Pacer:
        queue = runtime.queue_id
        if queue is None:
            return AgentlessPacer(runtime.share, self.lines)
        pool = self.roster.pool(queue)
        if runtime.mode != "predictive":
            # Preview reserves its agent like progressive; the review happens on the call.
            return ProgressivePacer(runtime.share, pool, self.roster, self.lines)
        scenario = self.scenario
        estimates = Estimates(config, scenario.outcomes, scenario.durations, self._mean_acw(queue))
        predictive = PredictivePacer(
            config.predictive,
            estimates,
            runtime.share,
            pool,
            self.lines,
            self.clock,
            self.telephony.waiting.count,
        )
        runtime.feedback = predictive
        return predictive

    def _mean_acw(self, queue: str) -> float:
        means = self._acw_means.get(queue, [0.0])
        return sum(means) / len(means)

    # -- hooks for a live client (the HTTP face) --------------------------------

    def attach_campaign(self, campaign_id: str) -> None:
        """Give a campaign created through the API (not the scenario) its parts.

        Its settings come from the core's view of the campaign; call outcomes
        and durations from the scenario.
        """
        if campaign_id in self.campaigns:
            return
        view = self.core.campaign(campaign_id)
        parts = self._add_campaign(config_from_api(view), f"r-{campaign_id}")
        parts.runtime.running = view.state == "Running"

    def detach_campaign(self, campaign_id: str) -> None:
        """A client deleted a campaign: its ingestion and dialing stop for good.

        Calls already placed finish; the core has ended what it buffered.
        """
        parts = self.campaigns.pop(campaign_id, None)
        if parts is not None:
            parts.runtime.running = False
            parts.ingestor.stop()

    def campaign_changed(self, campaign_id: str) -> None:
        """A client changed a campaign's state: follow it, and dial if it runs."""
        parts = self.campaigns.get(campaign_id)
        if parts is None:
            return
        self._follow_state(parts)
        self.requests.watch_expiry()
        self._arm_schedule_end()

    def requests_arrived(self, campaign_id: str) -> None:
        """A client's dial requests entered a campaign's buffer."""
        if campaign_id in self.campaigns:
            self.requests.accepted(campaign_id)

    # -- campaign control ---------------------------------------------------------

    def _control(self, arg: tuple[CampaignRuntime, str]) -> None:
        runtime, action = arg
        service = SERVICE[runtime.config.api]
        request = {"id": runtime.id}
        result = self.api.call(service, CONTROL_OPS[action], request, self.clock.now)
        if isinstance(result, ServiceError) and result.code in THROTTLED:
            self.clock.call_in(1.0, self._control, arg)
            return
        parts = self.campaigns.get(runtime.id)
        if parts is not None:
            self._follow_state(parts)
        self._arm_schedule_end()
        self._check_done()

    def _follow_state(self, parts: CampaignParts) -> None:
        """Mirror the core's campaign state; a stopped or completed campaign ends
        what it carries."""
        state = self.core.campaign_state(parts.runtime.id)
        parts.runtime.running = state == "Running"
        if parts.runtime.running:
            parts.dialer.kick()
        elif state == "Stopped" or state is None:
            parts.ingestor.drop_carry("campaign_stopped")
        elif state == "Completed":
            parts.ingestor.drop_carry("campaign_completed")

    def _arm_schedule_end(self) -> None:
        """One timer for the earliest v2 schedule end of a Running / Paused campaign."""
        end = self.core.next_schedule_end()
        if end is None or end == self._schedule_end:
            return
        self._schedule_end = end
        self.clock.call_at(max(end, self.clock.now), self._schedule_ended, end)

    def _schedule_ended(self, end: float) -> None:
        """A schedule ended: its campaigns complete (v2), their buffers end EXPIRED."""
        if end != self._schedule_end:
            return  # superseded by an earlier end (already handled)
        self._schedule_end = None
        for campaign_id in self.core.complete_due(self.clock.now):
            parts = self.campaigns.get(campaign_id)
            if parts is not None:
                self._follow_state(parts)
        self._arm_schedule_end()
        self._check_done()

    # -- callbacks used by the parts -------------------------------------------

    def _wake(self, campaign_id: str) -> None:
        parts = self.campaigns.get(campaign_id)
        if parts is not None:
            parts.ingestor.kick()

    def _contacts_created(self, dialer: Dialer) -> None:
        dialer.kick()
        self.requests.watch_expiry()

    def _line_freed(self) -> None:
        for parts in self.campaigns.values():
            if parts.runtime.running:
                parts.dialer.kick()

    def _attempt_over(self, call: Call) -> None:
        if call.outcome is not None:
            dialed_at = call.rang_at or self.clock.now
            contact = call.contact
            self.core.attempt_over(
                call.runtime.id, contact.contact_id, contact.phone_number, dialed_at, call.outcome
            )
        parts = self.campaigns.get(call.runtime.id)
        if parts is not None and parts.redial is not None:
            parts.redial.consider(call)
        self.requests.completed(call)

    def _source_done(self) -> None:
        self.open_sources -= 1
        self._check_done()

    # -- ending -----------------------------------------------------------------

    def _horizon(self, _arg: object = None) -> None:
        self.closing = True
        self._check_done()

    def _check_done(self) -> None:
        """Stop the run once nothing is left to happen (before the horizon: nothing
        left to create or dial either; after it: no call or BatchPutContact call
        in flight)."""
        if self.finished:
            return
        campaigns = self.campaigns.values()
        if self.telephony.active or any(p.ingestor.in_call for p in campaigns):
            return
        if not self.closing:
            if self.open_sources or any(p.redial and p.redial.pending for p in campaigns):
                return
            if any(self.core.pending_count(c) for c in self.campaigns):
                return
        self.finished = True
        self._stop.succeed()

    def _stuck(self) -> str:
        campaigns = self.campaigns.values()
        return (
            f"the run did not drain within {DRAIN_LIMIT_S:.0f}s after its horizon:"
            f" {self.telephony.active} calls active, "
            f"{sum(p.ingestor.in_call for p in campaigns)} requests in BatchPutContact calls"
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
            self.clock.run(AnyOf(env, [self._stop, env.timeout(step)]))
            if progress is not None:
                progress(min(1.0, (env.now - self.start_ts) / self.scenario.horizon))
        return self.finish()

    def finish(self) -> ModelResult:
        """End the run at the clock's instant: every agent logs out, the events are
        flushed, and what was accepted but has no terminal event is counted (arriving,
        being created, waiting to be dialed, or a redial not yet submitted)."""
        end = self.clock.now
        self.roster.logout_all()
        self.emitter.flush()
        pending = sum(self.core.pending_count(c) for c in self.campaigns)
        pending += sum(p.redial.pending for p in self.campaigns.values() if p.redial)
        return ModelResult(self.start_ts, end, self.emitter.count, pending)


def _first_attempt(_request_id: str) -> int:
    return 1

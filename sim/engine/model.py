"""The simulation model: wires agents, sources, dialers and telephony on one clock.

``Model(scenario, rng, emitter, core).run()`` simulates from the scenario's
start until its horizon, or until every source is exhausted and nothing is
left to dial, whichever comes first. At the horizon, arrivals and new dials
stop and calls in progress finish; requests still buffered stay pending.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy
from simpy.events import AnyOf

from sim.connect import OutboundCore, ServiceError
from sim.domain import DialRequest, EventType, Outcome
from sim.engine.agents import Agent, AgentRoster
from sim.engine.api import ApiClient
from sim.engine.calls import Call, Telephony
from sim.engine.campaigns import CampaignRuntime, config_from_api, create_request
from sim.engine.clock import Clock, Emitter
from sim.engine.dialer import Dialer
from sim.engine.loader import SourceFeed
from sim.engine.pacing import AgentlessPacer, Lines, Pacer, ProgressivePacer
from sim.engine.predictive import PredictivePacer
from sim.engine.sources import batches_for, local_midnight
from sim.scenario import Scenario, staffing_changes

CONTROL_OPS = {"start": "StartCampaign", "pause": "PauseCampaign"}
CONTROL_OPS |= {"resume": "ResumeCampaign", "stop": "StopCampaign"}
SERVICE = {"v1": "connectcampaigns", "v2": "connectcampaignsv2"}
# Past the horizon only calls in progress may go on; a day more means a bug.
DRAIN_LIMIT_S = 86400.0


@dataclass(frozen=True)
class ModelResult:
    sim_start: float
    sim_end: float
    events: int
    pending_at_end: int


class WaitingServer:
    """Pool callback: live calls waiting in a queue go first to a freed agent."""

    __slots__ = ("model", "queue")

    def __init__(self, model: Model, queue: str) -> None:
        self.model = model
        self.queue = queue

    def __call__(self) -> None:
        self.model.serve_waiting(self.queue)


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
        self.start_ts = scenario.start.timestamp()
        self.end_ts = self.start_ts + scenario.horizon
        # A caller may hand in its own environment (the HTTP face drives one
        # against the wall clock); it must start at the scenario's start.
        self.env = env if env is not None else simpy.Environment(initial_time=self.start_ts)
        self.clock = Clock(self.env)
        self.api = ApiClient(core)
        self.instance_id = scenario.instance.id
        self.roster = AgentRoster(self.clock, emitter)
        self.lines = Lines(scenario.instance.concurrent_calls)
        self.calls = Telephony(self)
        self.runtimes: dict[str, CampaignRuntime] = {}
        self.dialers: list[Dialer] = []
        self.open_sources = 0
        self.retries_waiting = 0
        self.parked_at_end = 0  # redials that fell due after the horizon
        self.waiting: dict[str, deque[Call]] = {}
        self._acw: dict[str, Callable[[], float]] = {}
        self._acw_means: dict[str, list[float]] = {}
        self._waiting_n: dict[str, int] = {}
        self._expiry_at = math.inf
        self._expiry_gen = 0
        self.finished = False
        self.closing = False
        self._stop = self.env.event()

    # -- set-up ---------------------------------------------------------------

    def setup(self) -> None:
        scenario = self.scenario
        for group in scenario.agent_groups:
            self._acw[group.name] = group.after_contact_work.sampler(self.rng)
            self._acw_means.setdefault(group.queue, []).append(group.after_contact_work.mean())
            pool = self.roster.pool(group.queue)
            for when, scheduled in staffing_changes(scenario, group):
                # Shrinkage: that share of the scheduled agents is not logged in.
                headcount = scheduled - round(scheduled * group.shrinkage)
                self.clock.call_at(when, self._staff, (group.name, group.queue, headcount))
            self._schedule_breaks(group)
            if not pool.on_free:
                pool.on_free.append(WaitingServer(self, group.queue))
        for index, config in enumerate(scenario.campaigns):
            self._setup_campaign(index, config)
        self.clock.call_at(self.end_ts, self._horizon)

    def _setup_campaign(self, index: int, config: Any) -> None:
        self.core.create_campaign(
            create_request(self.scenario, config),
            api=config.api,
            now=self.start_ts,
            campaign_id=config.id,
        )
        runtime = self._add_runtime(config)
        actions = list(config.schedule)
        if not any(a.action == "start" for a in actions):
            self.clock.call_at(self.start_ts, self._control, (runtime, "start"))
        for action in actions:
            self.clock.call_at(self.start_ts + action.at, self._control, (runtime, action.action))
        min_gap = 1.0 / self._quota_rate(config.api)
        for s_index, source in enumerate(config.sources):
            feed = SourceFeed(
                self,
                runtime.id,
                config.api,
                f"s{index}-{s_index}",
                batches_for(source, self.rng, self.scenario.start, self.end_ts),
                source.expires_after,
                min_gap,
            )
            self.open_sources += 1
            self.clock.call_at(self.start_ts, SourceFeed.start, feed)

    def _add_runtime(self, config: Any) -> CampaignRuntime:
        """A dialer for a campaign the core knows, wired to its queue's agents."""
        runtime = CampaignRuntime(self.scenario, config, self.rng)
        self.runtimes[runtime.id] = runtime
        pacer: Pacer
        if runtime.agentless:
            pacer = AgentlessPacer(self, runtime)
        elif runtime.mode == "predictive":
            pool = self.roster.pool(config.queue)
            pacer = runtime.predictive = PredictivePacer(self, runtime, pool)
        else:
            # Preview reserves its agent like progressive; the review happens on the call.
            pacer = ProgressivePacer(self, runtime, self.roster.pool(config.queue))
        dialer = Dialer(self, runtime, pacer)
        runtime.dialer = dialer
        self.dialers.append(dialer)
        if runtime.queue_id is not None:
            pool = self.roster.pool(runtime.queue_id)
            pool.on_free.append(dialer.kick)
            pool.on_change.append(dialer.kick)
            if runtime.predictive is not None:
                pool.on_wrap.append(dialer.kick)
        return runtime

    # -- hooks for a live client (the HTTP face) --------------------------------

    def attach_campaign(self, campaign_id: str) -> None:
        """Give a campaign created through the API (not the scenario) a dialer.

        Its settings come from the core's view of the campaign; call outcomes
        and durations from the scenario.
        """
        if campaign_id in self.runtimes:
            return
        view = self.core.campaign(campaign_id)
        config = config_from_api(view)
        runtime = self._add_runtime(config)
        runtime.running = view.state == "Running"

    def detach_campaign(self, campaign_id: str) -> None:
        """A client deleted a campaign: its dialer stops for good.

        Calls already placed finish; the core has expired its buffer and the
        dialer's carried requests end EXPIRED (campaign_stopped).
        """
        runtime = self.runtimes.pop(campaign_id, None)
        if runtime is None:
            return
        runtime.running = False
        if runtime.dialer is not None:
            self.dialers.remove(runtime.dialer)
            runtime.dialer.drop_carry("campaign_stopped")

    def on_external_change(self, campaign_id: str) -> None:
        """A client changed a campaign's state: follow it, and dial if it runs."""
        runtime = self.runtimes.get(campaign_id)
        if runtime is None:
            return
        self._follow_state(runtime)
        self._schedule_expiry()

    def schedule_expiry(self) -> None:
        """Requests arrived from outside: make sure the expiry sweep will see them."""
        self._schedule_expiry()

    def _schedule_breaks(self, group: Any) -> None:
        """Each break, every day of the horizon, at its time of day."""
        midnight = local_midnight(self.scenario.start)
        days = int((self.end_ts - midnight) // 86400.0) + 1
        for day in range(days):
            for pause in group.breaks:
                when = midnight + day * 86400.0 + pause.start
                if self.start_ts <= when < self.end_ts:
                    arg = (group.name, pause.duration, pause.agents_fraction)
                    self.clock.call_at(when, self._break, arg)

    def _break(self, arg: tuple[str, float, float]) -> None:
        self.roster.start_break(*arg)

    def mean_acw(self, queue: str) -> float:
        means = self._acw_means.get(queue, [0.0])
        return sum(means) / len(means)

    def waiting_count(self, queue: str) -> int:
        return self._waiting_n.get(queue, 0)

    def _quota_rate(self, api: str) -> float:
        quotas = self.scenario.api.quotas
        quota = quotas.put_dial_request_batch if api == "v1" else quotas.put_outbound_request_batch
        return float(quota.rate)

    def _staff(self, arg: tuple[str, str, int]) -> None:
        group, queue, headcount = arg
        self.roster.set_headcount(group, queue, headcount)

    def _control(self, arg: tuple[CampaignRuntime, str]) -> None:
        runtime, action = arg
        config = runtime.config
        result = self.api.call(
            SERVICE[config.api], CONTROL_OPS[action], {"id": runtime.id}, self.env.now
        )
        if isinstance(result, ServiceError) and result.code in (
            "ThrottlingException",
            "LimitExceededException",
        ):
            self.clock.call_in(1.0, self._control, arg)
            return
        self._follow_state(runtime)
        self._check_done()

    def _follow_state(self, runtime: CampaignRuntime) -> None:
        """Mirror the core's campaign state; a stopped campaign ends its carried retries."""
        if self.runtimes.get(runtime.id) is not runtime:
            return  # detached: a client deleted the campaign
        state = self.core.campaign(runtime.id).state
        runtime.running = state == "Running"
        dialer = runtime.dialer
        if dialer is None:
            return
        if runtime.running:
            dialer.kick()
        elif state == "Stopped":
            dialer.drop_carry("campaign_stopped")

    # -- callbacks used by the parts -------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def acw_sampler(self, agent: Agent) -> Callable[[], float]:
        return self._acw[agent.group]

    def requests_accepted(self, campaign_id: str, expires: float) -> None:
        if expires < self._expiry_at:
            self._schedule_expiry()
        runtime = self.runtimes.get(campaign_id)
        if runtime is not None and runtime.dialer is not None:
            runtime.dialer.kick()

    def source_done(self) -> None:
        self.open_sources -= 1
        self._check_done()

    def line_freed(self) -> None:
        for dialer in self.dialers:
            if dialer.runtime.running:
                dialer.kick()

    def end_request(self, request: DialRequest, type_: str, **payload: Any) -> None:
        """End a request the engine holds, with a terminal event."""
        request.version += 1
        request.done = True
        self.emitter.emit(
            request.id,
            request.version,
            type_,
            self.env.now,
            {"campaign_id": request.campaign_id, **payload},
        )
        self._check_done()

    def attempt_over(self, request: DialRequest, runtime: CampaignRuntime, outcome: str) -> None:
        """A dial attempt's contact is COMPLETED: redial, or end the request."""
        redial = runtime.config.redial
        now = self.env.now
        if outcome in redial.on and request.attempts < redial.max_attempts:
            retry_at = now + redial.delay
            request.version += 1
            self.emitter.emit(
                request.id,
                request.version,
                EventType.DIAL_REQUEST_RETRY_SCHEDULED,
                now,
                {
                    "campaign_id": runtime.id,
                    "attempt": request.attempts + 1,
                    "retry_at": retry_at,
                    "outcome": outcome,
                },
            )
            self.retries_waiting += 1
            self.clock.call_at(retry_at, self._redial, request)
            # After the horizon this may have been the last call in progress.
            self._check_done()
            return
        self.end_request(
            request, EventType.DIAL_REQUEST_COMPLETED, outcome=outcome, attempts=request.attempts
        )

    def _redial(self, request: DialRequest) -> None:
        self.retries_waiting -= 1
        if self.env.now >= self.end_ts:
            self.parked_at_end += 1  # stays pending: counted in pending_at_end
            self._check_done()
            return
        request.retry_at = self.env.now
        self.core.requeue(request, self.env.now)
        self.requests_accepted(request.campaign_id, request.expiration)
        self._check_done()

    # -- waiting live calls (predictive) ----------------------------------------

    def route_waiting(self, call: Call) -> None:
        """A live call with no reserved agent: the next free agent, or wait."""
        queue = call.runtime.queue_id or ""
        agent = self.roster.pool(queue).take()
        if agent is not None:
            self.calls.connect(call, agent)
            return
        call.waiting = True
        self.waiting.setdefault(queue, deque()).append(call)
        self._waiting_n[queue] = self._waiting_n.get(queue, 0) + 1
        runtime = call.runtime
        limit = runtime.profile.patience()
        predictive = runtime.config.predictive
        # The threshold clock starts at the answer, or at the start or end of the
        # customer's greeting (the v2 connectionStartPoint; the US TSR counts two
        # seconds from the completed greeting).
        deadline = predictive.connection_threshold + runtime.profile.threshold_offset(
            predictive.connection_start_point
        )
        self.clock.call_in(min(limit, deadline), self._abandon, call)

    def _abandon(self, call: Call) -> None:
        if call.waiting:
            call.waiting = False
            queue = call.runtime.queue_id or ""
            self._waiting_n[queue] -= 1
            if call.runtime.predictive is not None:
                call.runtime.predictive.live_result(True, self.env.now)
            self.calls.disconnect(call, Outcome.ABANDONED)

    def serve_waiting(self, queue: str) -> None:
        waiting = self.waiting.get(queue)
        if not waiting:
            return
        pool = self.roster.pool(queue)
        while waiting and pool.available:
            call = waiting.popleft()
            if not call.waiting:
                continue
            agent = pool.take()
            if agent is None:
                waiting.appendleft(call)
                return
            self._waiting_n[queue] -= 1
            self.calls.connect(call, agent)

    # -- expiry -----------------------------------------------------------------

    def _schedule_expiry(self) -> None:
        when = self.core.next_expiration()
        if when is None or when >= self._expiry_at:
            return
        self._expiry_at = when
        self._expiry_gen += 1
        self.clock.call_at(when, self._expire, self._expiry_gen)

    def _expire(self, generation: int) -> None:
        if generation != self._expiry_gen:
            return
        self._expiry_at = math.inf
        if self.env.now < self.end_ts:
            self.core.expire_due(self.env.now)
            self._schedule_expiry()
        self._check_done()

    # -- ending -----------------------------------------------------------------

    def _horizon(self, _arg: Any = None) -> None:
        self.closing = True
        self._check_done()

    def _stuck(self) -> str:
        return (
            f"the run did not drain within {DRAIN_LIMIT_S:.0f}s after its horizon:"
            f" {self.calls.active} calls active, "
            f"{sum(d.in_call for d in self.dialers)} requests in BatchPutContact calls,"
            f" {sum(len(d.carry) for d in self.dialers)} carried"
        )

    def check_done(self) -> None:
        """Parts call this when something they held is released."""
        self._check_done()

    def _check_done(self) -> None:
        if self.finished:
            return
        if self.calls.active or any(d.in_call for d in self.dialers):
            return
        if not self.closing:
            if self.open_sources or self.retries_waiting:
                return
            if any(d.carry for d in self.dialers):
                return
            if any(self.core.pending_count(c) for c in self.runtimes):
                return
        self.finished = True
        self._stop.succeed()

    def run(self, progress: Callable[[float], None] | None = None) -> ModelResult:
        """Simulate to the end; ``progress`` gets the fraction of the horizon done."""
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
        end = float(env.now)
        self.roster.logout_all()
        self.emitter.flush()
        # Everything accepted that has no terminal event: buffered, carried for a
        # retry, waiting for a redial, or a redial that fell after the horizon.
        pending = (
            sum(self.core.pending_count(c) for c in self.runtimes)
            + sum(len(d.carry) for d in self.dialers)
            + self.retries_waiting
            + self.parked_at_end
        )
        return ModelResult(self.start_ts, end, self.emitter.count, pending)

"""Per-campaign runtime state, outcome draws, and the wire CreateCampaign requests.

The scenario describes a campaign in planner's terms; the core knows it by
its API shape. ``create_request`` translates the first into the second, so
the engine creates campaigns exactly as a client of the real API would;
``config_from_api`` goes the other way for a campaign a client created.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sim.scenario import Campaign as ScenarioCampaign

if TYPE_CHECKING:
    from sim.engine.dialer import Dialer
    from sim.engine.predictive import PredictivePacer


class Profile:
    """The random draws of one campaign's calls, all from the run's one RNG."""

    __slots__ = (
        "busy_signal",
        "cumulative",
        "greeting",
        "greeting_start",
        "human_as_machine",
        "machine_as_human",
        "patience",
        "ring_to_answer",
        "rng",
        "talk",
        "voicemail",
    )

    def __init__(self, scenario: Any, outcomes: Any, rng: random.Random) -> None:
        self.rng = rng
        total = 0.0
        cumulative = []
        for p in (
            outcomes.live_answer,
            outcomes.voicemail,
            outcomes.no_answer,
            outcomes.busy,
        ):
            total += p
            cumulative.append(total)
        self.cumulative = tuple(cumulative)
        self.human_as_machine = outcomes.amd.human_as_machine
        self.machine_as_human = outcomes.amd.machine_as_human
        durations = scenario.durations
        self.ring_to_answer: Callable[[], float] = durations.ring_to_answer.sampler(rng)
        self.talk: Callable[[], float] = durations.talk.sampler(rng)
        self.patience: Callable[[], float] = durations.patience.sampler(rng)
        self.voicemail: Callable[[], float] = durations.voicemail.sampler(rng)
        self.busy_signal: Callable[[], float] = durations.busy_signal.sampler(rng)
        self.greeting_start = _optional(durations.greeting_start, rng)
        self.greeting = _optional(durations.greeting, rng)

    def threshold_offset(self, start_point: str) -> float:
        """Seconds from the answer to where the connection threshold starts.

        The customer's greeting is drawn (when modelled) for every start point,
        so runs that differ only in the start point share their random stream.
        """
        start = self.greeting_start() if self.greeting_start is not None else 0.0
        length = self.greeting() if self.greeting is not None else 0.0
        if start_point == "GREETING_START":
            return start
        if start_point == "GREETING_END":
            return start + length
        return 0.0

    def draw_outcome(self) -> int:
        """0 live, 1 machine, 2 no answer, 3 busy, 4 invalid number."""
        u = self.rng.random()
        c = self.cumulative
        if u < c[0]:
            return 0
        if u < c[1]:
            return 1
        if u < c[2]:
            return 2
        if u < c[3]:
            return 3
        return 4


class PreviewPolicy:
    """How long an agent reviews a preview contact, and whether it is discarded.

    A review that would outlast the preview timeout ends at the timeout and
    the contact is dialed (the agent did not act in time).
    """

    __slots__ = ("discard_probability", "review_time", "rng", "timeout")

    def __init__(self, config: Any, rng: random.Random) -> None:
        self.rng = rng
        self.timeout: float = config.timeout
        self.discard_probability: float = config.discard_probability
        self.review_time: Callable[[], float] = config.review_time.sampler(rng)

    def review(self) -> tuple[float, bool]:
        spent = self.review_time()
        if spent >= self.timeout:
            return self.timeout, False
        return spent, self.rng.random() < self.discard_probability


class CampaignRuntime:
    """What the engine tracks for one campaign while it runs."""

    def __init__(self, scenario: Any, config: Any, rng: random.Random) -> None:
        self.config = config
        self.id: str = config.id
        self.mode: str = config.mode
        self.agentless = config.mode == "agentless"
        self.queue_id: str | None = None if self.agentless else config.queue
        self.source_phone_number: str = (
            config.source_phone_number or scenario.instance.phone_numbers[0]
        )
        self.ring_timeout: float = config.ring_timeout
        self.amd_enabled: bool = config.answering_machine_detection
        self.bandwidth_allocation: float = config.bandwidth_allocation
        self.dialing_capacity: float = config.dialing_capacity
        self.profile = Profile(scenario, config.outcomes or scenario.outcomes, rng)
        self.running = False
        self.held = 0  # agents held by this campaign's contacts
        self.lines = 0  # telecom lines held by this campaign's dials
        self.dialer: Dialer | None = None
        self.predictive: PredictivePacer | None = None
        self.preview = PreviewPolicy(config.preview, rng) if config.mode == "preview" else None


def create_request(scenario: Any, config: Any) -> dict[str, Any]:
    """The wire CreateCampaign request (v1 or v2) for a scenario campaign."""
    instance = scenario.instance
    source = config.source_phone_number or instance.phone_numbers[0]
    amd = {
        "enableAnswerMachineDetection": config.answering_machine_detection,
        "awaitAnswerMachinePrompt": False,
    }
    mode = config.mode
    if config.api == "v1":
        if mode == "agentless":
            dialer: dict[str, Any] = {
                "agentlessDialerConfig": {"dialingCapacity": config.dialing_capacity}
            }
        else:
            key = "predictiveDialerConfig" if mode == "predictive" else "progressiveDialerConfig"
            dialer = {
                key: {
                    "bandwidthAllocation": config.bandwidth_allocation,
                    "dialingCapacity": config.dialing_capacity,
                }
            }
        outbound: dict[str, Any] = {
            "connectContactFlowId": instance.contact_flow_id,
            "connectSourcePhoneNumber": source,
            "answerMachineDetectionConfig": amd,
        }
        if mode != "agentless":
            outbound["connectQueueId"] = config.queue
        return {
            "name": config.name or config.id,
            "connectInstanceId": instance.id,
            "dialerConfig": dialer,
            "outboundCallConfig": outbound,
        }
    outbound_mode: dict[str, Any]
    if mode == "agentless":
        outbound_mode = {"agentless": {}}
    elif mode == "preview":
        outbound_mode = {
            "preview": {
                "bandwidthAllocation": config.bandwidth_allocation,
                "timeoutConfig": {"durationInSeconds": int(config.preview.timeout)},
            }
        }
    else:
        outbound_mode = {mode: {"bandwidthAllocation": config.bandwidth_allocation}}
    telephony: dict[str, Any] = {
        "capacity": config.dialing_capacity,
        "outboundMode": outbound_mode,
        "defaultOutboundConfig": {
            "connectContactFlowId": instance.contact_flow_id,
            "connectSourcePhoneNumber": source,
            "answerMachineDetectionConfig": amd,
        },
    }
    if mode != "agentless":
        telephony["connectQueueId"] = config.queue
    return {
        "name": config.name or config.id,
        "connectInstanceId": instance.id,
        "channelSubtypeConfig": {"telephony": telephony},
    }


def _optional(distribution: Any, rng: random.Random) -> Callable[[], float] | None:
    """The sampler of an optional distribution (None when not modelled)."""
    return None if distribution is None else distribution.sampler(rng)


def config_from_api(view: Any) -> ScenarioCampaign:
    """The scenario campaign for one created through the API (the HTTP face).

    Its settings come from the core's view of the CreateCampaign request;
    call outcomes and durations stay the scenario's.
    """
    return ScenarioCampaign.model_validate(
        {
            "id": view.id,
            "name": view.name,
            "mode": view.mode,
            "api": view.api,
            "queue": None if view.mode == "agentless" else view.queue_id,
            "bandwidth_allocation": min(1.0, view.bandwidth_allocation or 1.0),
            "dialing_capacity": view.dialing_capacity or 1.0,
            "source_phone_number": view.source_phone_number,
            "answering_machine_detection": view.amd_enabled,
            **_api_settings(view),
        }
    )


def _api_settings(view: Any) -> dict[str, Any]:
    """Scenario keys for the dialer settings a client gave CreateCampaign.

    Ring timeout (v2), preview timeout, and the abandonment-rate pacing
    strategy (target, connection start point and threshold, evaluation
    window); what the client left out keeps the scenario's defaults.
    """
    settings: dict[str, Any] = {}
    if view.ring_timeout_s is not None:
        settings["ring_timeout"] = view.ring_timeout_s
    if view.preview_timeout_s is not None:
        settings["preview"] = {"timeout": view.preview_timeout_s}
    predictive = {
        key: value
        for key, value in (
            ("target_abandonment", view.abandonment_target),
            ("connection_start_point", view.connection_start_point),
            ("connection_threshold", view.connection_threshold_s),
            ("evaluation_window", view.evaluation_window_s),
        )
        if value is not None
    }
    if predictive:
        settings["predictive"] = predictive
    return settings

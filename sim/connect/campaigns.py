"""Campaign records: the engine's read-only view, creation from v1 / v2 requests,
the state machine and the DescribeCampaign body."""

from __future__ import annotations

from typing import Any

from sim.connect.config import CoreConfig
from sim.connect.errors import CAMPAIGNS_V2, ServiceError, join_problems
from sim.connect.ids import iso8601
from sim.connect.models_campaign import CreateCampaignRequest
from sim.connect.models_campaign_v2 import CreateCampaignRequestV2
from sim.connect.v2config import (
    CampaignLimits,
    CampaignSchedule,
    CommunicationTime,
    ConfigError,
    campaign_schedule,
    communication_limits,
    communication_time,
)
from sim.domain import Event, EventType

INITIALIZED = "Initialized"
RUNNING = "Running"
PAUSED = "Paused"
STOPPED = "Stopped"
FAILED = "Failed"
COMPLETED = "Completed"

# operation -> (states it may be called in, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "StartCampaign": (frozenset({INITIALIZED}), RUNNING),
    "PauseCampaign": (frozenset({RUNNING}), PAUSED),
    "ResumeCampaign": (frozenset({PAUSED}), RUNNING),
    "StopCampaign": (frozenset({RUNNING, PAUSED}), STOPPED),
}
# States in which the v2 Update* operations are allowed ("Only campaigns in the
# Initialized state are valid for this operation", API reference).
UPDATABLE = frozenset({INITIALIZED})
# States a schedule's end completes (v2): a campaign never started stays Initialized.
COMPLETABLE = frozenset({RUNNING, PAUSED})
# States in which dial requests are accepted into the buffer (a paused
# campaign keeps its buffer and keeps filling it; it just is not dialed).
ACCEPTING = frozenset({RUNNING, PAUSED})

_V1_MODES = {
    "progressiveDialerConfig": "progressive",
    "predictiveDialerConfig": "predictive",
    "agentlessDialerConfig": "agentless",
}


class Campaign:
    """A campaign as the engine sees it. Treat every attribute as read-only:
    the core changes ``state`` (and ``version``) through its APIs."""

    __slots__ = (
        "abandonment_target",
        "amd_enabled",
        "api",
        "arn",
        "await_answer_machine_prompt",
        "bandwidth_allocation",
        "communication_limits",
        "communication_time",
        "connection_start_point",
        "connection_threshold_s",
        "contact_flow_id",
        "created_at",
        "dialing_capacity",
        "evaluation_window_s",
        "id",
        "last_modified",
        "mode",
        "name",
        "preview_timeout_s",
        "queue_id",
        "ring_timeout_s",
        "schedule",
        "seq",
        "source_phone_number",
        "state",
        "version",
        "wire",
    )

    def __init__(self, campaign_id: str, api: str, name: str, arn: str, now: float) -> None:
        self.id = campaign_id
        self.api = api
        self.name = name
        self.arn = arn
        self.state = INITIALIZED
        self.mode = "progressive"
        self.bandwidth_allocation: float | None = None
        self.dialing_capacity: float | None = None
        self.queue_id: str | None = None
        self.source_phone_number: str | None = None
        self.contact_flow_id: str | None = None
        self.amd_enabled = False
        self.await_answer_machine_prompt = False
        self.preview_timeout_s: float | None = None
        self.abandonment_target: float | None = None
        self.connection_start_point: str | None = None
        self.connection_threshold_s: float | None = None
        self.evaluation_window_s: float | None = None
        self.ring_timeout_s: float | None = None
        # v2 planning settings (None: not given; v1 campaigns never have them).
        self.communication_time: CommunicationTime | None = None
        self.communication_limits: CampaignLimits | None = None
        self.schedule: CampaignSchedule | None = None
        self.seq = 0  # creation order within the core (ListCampaigns pages by it)
        self.created_at = now
        self.last_modified = now
        self.version = 0  # version of the last event on this campaign's stream
        self.wire: dict[str, Any] = {}  # the create request as dumped, for Describe

    def __repr__(self) -> str:
        return f"Campaign({self.id!r}, {self.api}, {self.mode}, {self.state})"

    def event(self, type_: EventType, now: float, payload: dict[str, Any]) -> Event:
        """The next event on this campaign's stream (bumps ``version``)."""
        self.version += 1
        return Event(self.id, self.version, type_, now, payload)


def campaign_arn(config: CoreConfig, campaign_id: str) -> str:
    return f"arn:aws:connect-campaigns:{config.region}:{config.account_id}:campaign/{campaign_id}"


def from_v1(req: CreateCampaignRequest, c: Campaign) -> None:
    """Fill ``c`` from a validated v1 CreateCampaign request."""
    key, dialer = req.dialerConfig.member()
    c.mode = _V1_MODES[key]
    c.bandwidth_allocation = getattr(dialer, "bandwidthAllocation", None)
    c.dialing_capacity = dialer.dialingCapacity
    out = req.outboundCallConfig
    c.contact_flow_id = out.connectContactFlowId
    c.source_phone_number = out.connectSourcePhoneNumber
    c.queue_id = out.connectQueueId
    amd = out.answerMachineDetectionConfig
    if amd is not None:
        c.amd_enabled = amd.enableAnswerMachineDetection
        c.await_answer_machine_prompt = bool(amd.awaitAnswerMachinePrompt)
    c.wire = req.model_dump(mode="json", exclude_none=True)


def from_v2(req: CreateCampaignRequestV2, c: Campaign) -> None:
    """Fill ``c`` from a validated v2 CreateCampaign request (telephony required)."""
    tel = req.channelSubtypeConfig.telephony if req.channelSubtypeConfig else None
    if tel is None:
        raise ServiceError(
            "ValidationException",
            "channelSubtypeConfig.telephony: required (only telephony is simulated)",
            service=CAMPAIGNS_V2,
        )
    c.mode, mode = tel.outboundMode.member()
    c.bandwidth_allocation = getattr(mode, "bandwidthAllocation", None)
    c.dialing_capacity = tel.capacity
    c.queue_id = tel.connectQueueId
    if c.mode == "preview":
        c.preview_timeout_s = float(mode.timeoutConfig.durationInSeconds)
    if c.mode == "predictive" and mode.pacingStrategies:
        rate = mode.pacingStrategies[0].abandonmentRate
        if rate is not None:
            c.abandonment_target = rate.targetRate
            c.connection_start_point = rate.connectionStartPoint
            c.connection_threshold_s = float(rate.connectionThresholdSeconds)
            # evaluationWindow is PT<n>H, n in 1..24 (checked by the model).
            c.evaluation_window_s = 3600.0 * int(rate.evaluationWindow[2:-1])
    out = tel.defaultOutboundConfig
    c.contact_flow_id = out.connectContactFlowId
    c.source_phone_number = out.connectSourcePhoneNumber
    c.ring_timeout_s = float(out.ringTimeout) if out.ringTimeout is not None else None
    amd = out.answerMachineDetectionConfig
    if amd is not None:
        c.amd_enabled = amd.enableAnswerMachineDetection
        c.await_answer_machine_prompt = bool(amd.awaitAnswerMachinePrompt)
    _planning_v2(req, c)
    c.wire = req.model_dump(mode="json", exclude_none=True)


def _planning_v2(req: CreateCampaignRequestV2, c: Campaign) -> None:
    """The typed communicationTimeConfig, communicationLimitsOverride and schedule;
    one ValidationException naming every problem."""
    problems: list[str] = []
    try:
        if req.communicationTimeConfig is not None:
            c.communication_time = communication_time(req.communicationTimeConfig)
    except ConfigError as exc:
        problems += exc.problems
    try:
        if req.schedule is not None:
            c.schedule = campaign_schedule(req.schedule)
    except ConfigError as exc:
        problems += exc.problems
    if req.communicationLimitsOverride is not None:
        c.communication_limits = communication_limits(req.communicationLimitsOverride)
    if problems:
        raise ServiceError("ValidationException", join_problems(problems), service=CAMPAIGNS_V2)


def resource_errors(config: CoreConfig, c: Campaign) -> list[str]:
    """Members naming resources the instance does not have, as ``path: msg``."""
    v1 = c.api == "v1"
    base = "outboundCallConfig" if v1 else "channelSubtypeConfig.telephony.defaultOutboundConfig"
    queue_path = "outboundCallConfig" if v1 else "channelSubtypeConfig.telephony"
    errors = []
    if c.queue_id is not None and c.queue_id not in config.queues:
        errors.append(f"{queue_path}.connectQueueId: queue {c.queue_id!r} not in the instance")
    src = c.source_phone_number
    if src is not None and src not in config.phone_numbers:
        errors.append(f"{base}.connectSourcePhoneNumber: {src!r} is not claimed by the instance")
    flows = config.contact_flows
    if flows is not None and c.contact_flow_id not in flows:
        errors.append(f"{base}.connectContactFlowId: unknown contact flow {c.contact_flow_id!r}")
    if c.mode != "agentless" and c.queue_id is None:
        errors.append(f"{queue_path}.connectQueueId: required for {c.mode} campaigns")
    return errors


def transition(c: Campaign, operation: str, service: str, now: float) -> Event:
    """Apply Start/Pause/Resume/Stop to ``c``; the state-change event.

    Raises InvalidCampaignStateException (409, extra ``state``) when the
    operation is not allowed in the current state.
    """
    allowed, target = TRANSITIONS[operation]
    if c.state not in allowed:
        raise ServiceError(
            "InvalidCampaignStateException",
            f"{operation} is not allowed in state {c.state}",
            extra={"state": c.state},
            service=service,
        )
    previous, c.state, c.last_modified = c.state, target, now
    return c.event(EventType.CAMPAIGN_STATE_CHANGED, now, {"state": target, "previous": previous})


def complete(c: Campaign, now: float) -> Event:
    """Move a Running or Paused campaign whose schedule ended to Completed."""
    previous, c.state, c.last_modified = c.state, COMPLETED, now
    return c.event(
        EventType.CAMPAIGN_STATE_CHANGED, now, {"state": COMPLETED, "previous": previous}
    )


def describe(c: Campaign) -> dict[str, Any]:
    """The DescribeCampaign response body of ``c`` in its own API version."""
    body: dict[str, Any] = {"id": c.id, "arn": c.arn, **c.wire}
    if c.api == "v2":
        body["lastModifiedTime"] = iso8601(c.last_modified)
    return {"campaign": body}

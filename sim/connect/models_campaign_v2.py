"""Outbound campaigns v2 wire models (connectcampaignsv2 2024-04-23).

Only the telephony channel is simulated. The SMS, email and WhatsApp channel
members, ``source`` and ``entryLimitsConfig`` are accepted as opaque JSON
objects and echoed back by DescribeCampaign; the oracle test lists them as
deliberately unmodelled. ``schedule``, ``communicationTimeConfig`` and
``communicationLimitsOverride`` are typed (sim/connect/models_v2_config.py).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, TypeAdapter

from sim.connect.models_campaign import (
    AnswerMachineDetectionConfig,
    CampaignArn,
    CampaignName,
    ClientToken,
    ContactFlowId,
    DestinationPhoneNumber,
    DialAttributes,
    DialingCapacity,
    QueueIdStr,
    SourcePhoneNumber,
    TagMap,
    Timestamp,
    UnionModel,
)
from sim.connect.models_v2_config import (
    CommunicationLimitsConfig,
    CommunicationTimeConfig,
    Schedule,
)
from sim.connect.patterns import java, whole

_WIRE = ConfigDict(extra="ignore")
_WIRE_PY_RE = ConfigDict(extra="ignore", regex_engine="python-re")

OPAQUE_MAX_DEPTH = 32


def _shallow(value: dict[str, Any]) -> dict[str, Any]:
    """An opaque member nested at most OPAQUE_MAX_DEPTH levels (it is echoed back)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        if depth > OPAQUE_MAX_DEPTH:
            raise ValueError(f"is nested deeper than {OPAQUE_MAX_DEPTH} levels")
        stack.extend((child, depth + 1) for child in item)
    return value


Opaque = Annotated[dict[str, Any], AfterValidator(_shallow)]
_CAMPAIGN_ID_V2, _INSTANCE_ID_V2 = r"^[-:/a-zA-Z0-9]+$", r"^[-_.a-zA-Z0-9]+$"
CampaignIdV2 = Annotated[
    str,
    Field(min_length=1, max_length=256, pattern=_CAMPAIGN_ID_V2),
    AfterValidator(whole(_CAMPAIGN_ID_V2)),  # python-re models use it (models_campaign)
]
InstanceIdV2 = Annotated[
    str,
    Field(min_length=1, max_length=256, pattern=_INSTANCE_ID_V2),
    AfterValidator(whole(_INSTANCE_ID_V2)),
]
DialRequestIdV2 = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[-_.a-zA-Z0-9]+$")]
BandwidthAllocationV2 = Annotated[float, Strict(), Field(ge=0, le=2)]
RingTimeout = Annotated[int, Strict(), Field(ge=15, le=60)]
Arn = Annotated[
    str,
    Field(
        min_length=20,
        max_length=500,
        pattern=java(
            r"arn:[a-zA-Z0-9-]+:[a-zA-Z0-9-]+:[a-z]{2}-[a-z]+-\d{1,2}:[a-zA-Z0-9-]+:[^:]+"
            r"(?:/[^:]+)*(?:/[^:]+)?(?:\:[^:]+)?"
        ),
    ),
]


class CampaignStateV2(StrEnum):
    Initialized = "Initialized"
    Running = "Running"
    Paused = "Paused"
    Stopped = "Stopped"
    Failed = "Failed"
    Completed = "Completed"


class ConnectionStartPoint(StrEnum):
    CONNECTED_TO_SYSTEM = "CONNECTED_TO_SYSTEM"
    GREETING_START = "GREETING_START"
    GREETING_END = "GREETING_END"


class AgentAction(StrEnum):
    DISCARD = "DISCARD"


class ExternalCampaignType(StrEnum):
    MANAGED = "MANAGED"
    JOURNEY = "JOURNEY"


class ProgressiveConfig(BaseModel):
    model_config = _WIRE

    bandwidthAllocation: BandwidthAllocationV2


class AbandonmentRatePacingConfig(BaseModel):
    model_config = _WIRE

    targetRate: Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
    connectionStartPoint: ConnectionStartPoint
    connectionThresholdSeconds: Annotated[int, Strict(), Field(ge=1)]
    evaluationWindow: Annotated[str, Field(max_length=5, pattern=r"^PT([1-9]|1[0-9]|2[0-4])H$")]


class PacingStrategy(UnionModel):
    abandonmentRate: AbandonmentRatePacingConfig | None = None


class PredictiveConfig(BaseModel):
    model_config = _WIRE

    bandwidthAllocation: BandwidthAllocationV2
    pacingStrategies: Annotated[list[PacingStrategy], Field(min_length=1, max_length=1)] | None = (
        None
    )


class AgentlessConfig(BaseModel):
    model_config = _WIRE


class TimeoutConfig(BaseModel):
    model_config = _WIRE

    durationInSeconds: Annotated[int, Strict(), Field(ge=1, le=300)]


class PreviewConfig(BaseModel):
    model_config = _WIRE

    bandwidthAllocation: BandwidthAllocationV2
    timeoutConfig: TimeoutConfig
    agentActions: list[AgentAction] | None = None


class TelephonyOutboundMode(UnionModel):
    progressive: ProgressiveConfig | None = None
    predictive: PredictiveConfig | None = None
    agentless: AgentlessConfig | None = None
    preview: PreviewConfig | None = None


class TelephonyOutboundConfig(BaseModel):
    model_config = _WIRE

    connectContactFlowId: ContactFlowId
    connectSourcePhoneNumber: SourcePhoneNumber | None = None
    answerMachineDetectionConfig: AnswerMachineDetectionConfig | None = None
    ringTimeout: RingTimeout | None = None


class TelephonyChannelSubtypeConfig(BaseModel):
    model_config = _WIRE

    capacity: DialingCapacity | None = None
    connectQueueId: QueueIdStr | None = None
    outboundMode: TelephonyOutboundMode
    defaultOutboundConfig: TelephonyOutboundConfig


class ChannelSubtypeConfig(BaseModel):
    model_config = _WIRE

    telephony: TelephonyChannelSubtypeConfig | None = None
    sms: Opaque | None = None
    email: Opaque | None = None
    whatsApp: Opaque | None = None


class _CampaignBody(BaseModel):
    """Members shared by CreateCampaignRequest and the described Campaign."""

    model_config = _WIRE_PY_RE

    name: CampaignName
    connectInstanceId: InstanceIdV2
    channelSubtypeConfig: ChannelSubtypeConfig | None = None
    type: ExternalCampaignType | None = None
    source: Opaque | None = None
    connectCampaignFlowArn: Arn | None = None
    schedule: Schedule | None = None
    entryLimitsConfig: Opaque | None = None
    communicationTimeConfig: CommunicationTimeConfig | None = None
    communicationLimitsOverride: CommunicationLimitsConfig | None = None
    tags: TagMap | None = None


class CreateCampaignRequestV2(_CampaignBody):
    pass


class CreateCampaignResponseV2(BaseModel):
    model_config = _WIRE_PY_RE

    id: CampaignIdV2 | None = None
    arn: CampaignArn | None = None
    tags: TagMap | None = None


class CampaignV2(_CampaignBody):
    id: CampaignIdV2
    arn: CampaignArn
    lastModifiedTime: datetime | None = None


class CampaignIdRequestV2(BaseModel):
    """The input of Describe/Start/Pause/Resume/Stop/GetCampaignState/DeleteCampaign."""

    model_config = _WIRE

    id: CampaignIdV2


class DescribeCampaignResponseV2(BaseModel):
    model_config = _WIRE

    campaign: CampaignV2 | None = None


class GetCampaignStateResponseV2(BaseModel):
    model_config = _WIRE

    state: CampaignStateV2 | None = None


class TelephonyChannelSubtypeParameters(BaseModel):
    model_config = _WIRE

    destinationPhoneNumber: DestinationPhoneNumber
    attributes: DialAttributes
    connectSourcePhoneNumber: SourcePhoneNumber | None = None
    answerMachineDetectionConfig: AnswerMachineDetectionConfig | None = None
    ringTimeout: RingTimeout | None = None


class ChannelSubtypeParameters(UnionModel):
    telephony: TelephonyChannelSubtypeParameters | None = None
    sms: Opaque | None = None
    email: Opaque | None = None
    whatsApp: Opaque | None = None


class OutboundRequest(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken
    expirationTime: Timestamp
    channelSubtypeParameters: ChannelSubtypeParameters


class PutOutboundRequestBatchRequest(BaseModel):
    model_config = _WIRE

    id: CampaignIdV2
    outboundRequests: Annotated[list[OutboundRequest], Field(min_length=1, max_length=25)]


class FailureCodeV2(StrEnum):
    InvalidInput = "InvalidInput"
    RequestThrottled = "RequestThrottled"
    UnknownError = "UnknownError"
    BufferLimitExceeded = "BufferLimitExceeded"


class SuccessfulRequestV2(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken | None = None
    id: DialRequestIdV2 | None = None


class FailedRequestV2(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken | None = None
    id: DialRequestIdV2 | None = None
    failureCode: FailureCodeV2 | None = None


class PutOutboundRequestBatchResponse(BaseModel):
    model_config = _WIRE

    successfulRequests: Annotated[list[SuccessfulRequestV2], Field(max_length=25)] | None = None
    failedRequests: Annotated[list[FailedRequestV2], Field(max_length=25)] | None = None


# Built once; each request is validated by one call.
CREATE_CAMPAIGN_V2: TypeAdapter[CreateCampaignRequestV2] = TypeAdapter(CreateCampaignRequestV2)
CAMPAIGN_ID_V2: TypeAdapter[CampaignIdRequestV2] = TypeAdapter(CampaignIdRequestV2)
PUT_OUTBOUND_REQUEST_BATCH: TypeAdapter[PutOutboundRequestBatchRequest] = TypeAdapter(
    PutOutboundRequestBatchRequest
)

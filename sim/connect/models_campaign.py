"""Outbound campaigns v1 wire models (connectcampaigns 2021-01-30), plus shared pieces.

Field names are the camelCase wire names. Constraints mirror the botocore
service model; patterns are anchored (AWS matches the whole value). A botocore
``union`` structure is marked ``{"union": true}`` in its JSON schema and
accepts exactly one member.

JSON types are strict, as the model declares them: an integer member takes a
JSON integer, a boolean member ``true`` / ``false``, a double any JSON number
(never a string such as ``"30"`` or ``"yes"``). Timestamps are declared
``timestampFormat: iso8601``, so over HTTP (validated with ``JSON_CONTEXT``)
they must be ISO 8601 strings, as botocore sends them; Python callers (the
engine) may also pass a ``datetime`` or POSIX seconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationInfo,
    model_validator,
)

from sim.connect.patterns import java, whole

_WIRE = ConfigDict(extra="ignore")
# Tag keys use a look-ahead, which the default Rust regex engine lacks.
_WIRE_PY_RE = ConfigDict(extra="ignore", regex_engine="python-re")


JSON_CONTEXT: dict[str, bool] = {"json": True}
"""Validation context of a request that arrived as JSON (the HTTP face)."""

# The largest POSIX second a datetime holds (9999-12-31T23:59:59Z).
_MAX_POSIX = 253402300799.0
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _timestamp(value: Any, info: ValidationInfo) -> Any:
    """An ISO 8601 string or a datetime; POSIX seconds only from Python callers."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        # pydantic alone would also read "1700000000" as epoch seconds.
        if _ISO_DATE.match(value) is None:
            raise ValueError("must be an ISO 8601 date-time string")
        return value
    json = bool(info.context and info.context.get("json"))
    if isinstance(value, int | float) and not isinstance(value, bool) and not json:
        if not -_MAX_POSIX <= value <= _MAX_POSIX:
            raise ValueError("is out of range for a timestamp")
        return datetime.fromtimestamp(value, UTC)
    raise ValueError("must be an ISO 8601 date-time string (timestampFormat iso8601)")


Timestamp = Annotated[datetime, BeforeValidator(_timestamp)]
WireBool = Annotated[bool, Strict()]


class UnionModel(BaseModel):
    """A botocore union: exactly one member must be set."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"union": True})

    @model_validator(mode="after")
    def _exactly_one(self) -> UnionModel:
        names = type(self).model_fields
        set_ = [n for n in names if getattr(self, n) is not None]
        if len(set_) != 1:
            raise ValueError(f"exactly one of {', '.join(names)} must be set, got {len(set_)}")
        return self

    def member(self) -> tuple[str, Any]:
        """(name, value) of the one member that is set."""
        for name in type(self).model_fields:
            value = getattr(self, name)
            if value is not None:
                return name, value
        raise AssertionError("validated union has no member")  # pragma: no cover


class CampaignStateV1(StrEnum):
    Initialized = "Initialized"
    Running = "Running"
    Paused = "Paused"
    Stopped = "Stopped"
    Failed = "Failed"


CampaignName = Annotated[str, Field(min_length=1, max_length=127)]
CampaignArn = Annotated[str, Field(min_length=20, max_length=500)]
ContactFlowId = Annotated[str, Field(max_length=500)]
SourcePhoneNumber = Annotated[str, Field(max_length=100)]
QueueIdStr = Annotated[str, Field(max_length=500)]
BandwidthAllocationV1 = Annotated[float, Strict(), Field(ge=0, le=1)]
DialingCapacity = Annotated[float, Strict(), Field(ge=0.01, le=1)]
ClientToken = Annotated[str, Field(max_length=200, pattern=r"^[a-zA-Z0-9_\-.]*$")]
DestinationPhoneNumber = Annotated[str, Field(max_length=20, pattern=java(r"[\d\-+]*"))]
DialAttributeName = Annotated[str, Field(max_length=32767, pattern=r"^[a-zA-Z0-9\-_]+$")]
DialAttributeValue = Annotated[str, Field(max_length=32767)]
DialAttributes = dict[DialAttributeName, DialAttributeValue]
# The models on the python-re engine (for TagKey's look-ahead) check their
# patterned fields whole as well (``whole``): there ``$`` would take a final "\\n".
_TAG_KEY = r"^(?!aws:)[a-zA-Z+-=._:/]+$"
TagKey = Annotated[
    str, Field(min_length=1, max_length=128, pattern=_TAG_KEY), AfterValidator(whole(_TAG_KEY))
]
TagValue = Annotated[str, Field(max_length=256)]
TagMap = dict[TagKey, TagValue]
_INSTANCE_ID_V1, _CAMPAIGN_ID_V1 = r"^[a-zA-Z0-9_\-.]*$", java(r"[\S]*")
InstanceIdV1 = Annotated[
    str, Field(max_length=256, pattern=_INSTANCE_ID_V1), AfterValidator(whole(_INSTANCE_ID_V1))
]
CampaignIdV1 = Annotated[
    str, Field(max_length=256, pattern=_CAMPAIGN_ID_V1), AfterValidator(whole(_CAMPAIGN_ID_V1))
]
DialRequestIdV1 = Annotated[str, Field(max_length=256, pattern=r"^[a-zA-Z0-9_\-.]*$")]


class AnswerMachineDetectionConfig(BaseModel):
    model_config = _WIRE

    enableAnswerMachineDetection: WireBool
    awaitAnswerMachinePrompt: WireBool | None = None


class ProgressiveDialerConfig(BaseModel):
    model_config = _WIRE

    bandwidthAllocation: BandwidthAllocationV1
    dialingCapacity: DialingCapacity | None = None


class PredictiveDialerConfig(BaseModel):
    model_config = _WIRE

    bandwidthAllocation: BandwidthAllocationV1
    dialingCapacity: DialingCapacity | None = None


class AgentlessDialerConfig(BaseModel):
    model_config = _WIRE

    dialingCapacity: DialingCapacity | None = None


class DialerConfig(UnionModel):
    progressiveDialerConfig: ProgressiveDialerConfig | None = None
    predictiveDialerConfig: PredictiveDialerConfig | None = None
    agentlessDialerConfig: AgentlessDialerConfig | None = None


class OutboundCallConfig(BaseModel):
    model_config = _WIRE

    connectContactFlowId: ContactFlowId
    connectSourcePhoneNumber: SourcePhoneNumber | None = None
    connectQueueId: QueueIdStr | None = None
    answerMachineDetectionConfig: AnswerMachineDetectionConfig | None = None


class CreateCampaignRequest(BaseModel):
    model_config = _WIRE_PY_RE

    name: CampaignName
    connectInstanceId: InstanceIdV1
    dialerConfig: DialerConfig
    outboundCallConfig: OutboundCallConfig
    tags: TagMap | None = None


class CreateCampaignResponse(BaseModel):
    model_config = _WIRE_PY_RE

    id: CampaignIdV1 | None = None
    arn: CampaignArn | None = None
    tags: TagMap | None = None


class CampaignV1(BaseModel):
    model_config = _WIRE_PY_RE

    id: CampaignIdV1
    arn: CampaignArn
    name: CampaignName
    connectInstanceId: InstanceIdV1
    dialerConfig: DialerConfig
    outboundCallConfig: OutboundCallConfig
    tags: TagMap | None = None


class CampaignIdRequestV1(BaseModel):
    """The input of Describe/Start/Pause/Resume/Stop/GetCampaignState/DeleteCampaign."""

    model_config = _WIRE

    id: CampaignIdV1


class DescribeCampaignResponse(BaseModel):
    model_config = _WIRE

    campaign: CampaignV1 | None = None


class GetCampaignStateResponse(BaseModel):
    model_config = _WIRE

    state: CampaignStateV1 | None = None


class GetCampaignStateBatchRequest(BaseModel):
    model_config = _WIRE

    campaignIds: Annotated[list[CampaignIdV1], Field(min_length=1, max_length=25)]


class GetCampaignStateBatchFailureCode(StrEnum):
    ResourceNotFound = "ResourceNotFound"
    UnknownError = "UnknownError"


class SuccessfulCampaignStateResponse(BaseModel):
    model_config = _WIRE

    campaignId: CampaignIdV1 | None = None
    state: CampaignStateV1 | None = None


class FailedCampaignStateResponse(BaseModel):
    model_config = _WIRE

    campaignId: CampaignIdV1 | None = None
    failureCode: GetCampaignStateBatchFailureCode | None = None


class GetCampaignStateBatchResponse(BaseModel):
    model_config = _WIRE

    successfulRequests: (
        Annotated[list[SuccessfulCampaignStateResponse], Field(max_length=25)] | None
    ) = None
    failedRequests: Annotated[list[FailedCampaignStateResponse], Field(max_length=25)] | None = None


class DialRequest(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken
    phoneNumber: DestinationPhoneNumber
    expirationTime: Timestamp
    attributes: DialAttributes


class PutDialRequestBatchRequest(BaseModel):
    model_config = _WIRE

    id: CampaignIdV1
    dialRequests: Annotated[list[DialRequest], Field(min_length=1, max_length=25)]


class FailureCodeV1(StrEnum):
    InvalidInput = "InvalidInput"
    RequestThrottled = "RequestThrottled"
    UnknownError = "UnknownError"


class SuccessfulDialRequestV1(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken | None = None
    id: DialRequestIdV1 | None = None


class FailedDialRequestV1(BaseModel):
    model_config = _WIRE

    clientToken: ClientToken | None = None
    id: DialRequestIdV1 | None = None
    failureCode: FailureCodeV1 | None = None


class PutDialRequestBatchResponse(BaseModel):
    model_config = _WIRE

    successfulRequests: Annotated[list[SuccessfulDialRequestV1], Field(max_length=25)] | None = None
    failedRequests: Annotated[list[FailedDialRequestV1], Field(max_length=25)] | None = None


# Built once; each request is validated by one call.
CREATE_CAMPAIGN_V1: TypeAdapter[CreateCampaignRequest] = TypeAdapter(CreateCampaignRequest)
CAMPAIGN_ID_V1: TypeAdapter[CampaignIdRequestV1] = TypeAdapter(CampaignIdRequestV1)
GET_CAMPAIGN_STATE_BATCH: TypeAdapter[GetCampaignStateBatchRequest] = TypeAdapter(
    GetCampaignStateBatchRequest
)
PUT_DIAL_REQUEST_BATCH: TypeAdapter[PutDialRequestBatchRequest] = TypeAdapter(
    PutDialRequestBatchRequest
)

"""BatchPutContact wire models (Amazon Connect 2017-08-08), PascalCase as on the wire.

Field names are the wire member names, so ``model_validate`` of the JSON body
needs no aliases. Constraints mirror the botocore service model; patterns are
anchored because AWS matches them against the whole value. Unknown members are
ignored, as AWS services do for forward compatibility. JSON types are strict
(an integer member takes a JSON integer, never ``"30"``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter

_WIRE = ConfigDict(extra="ignore")


class EndpointTypeEnum(StrEnum):
    TELEPHONE_NUMBER = "TELEPHONE_NUMBER"
    VOIP = "VOIP"
    CONTACT_FLOW = "CONTACT_FLOW"
    CONNECT_PHONENUMBER_ARN = "CONNECT_PHONENUMBER_ARN"
    EMAIL_ADDRESS = "EMAIL_ADDRESS"


class FailureReasonCodeEnum(StrEnum):
    INVALID_ATTRIBUTE_KEY = "INVALID_ATTRIBUTE_KEY"
    INVALID_CUSTOMER_ENDPOINT = "INVALID_CUSTOMER_ENDPOINT"
    INVALID_SYSTEM_ENDPOINT = "INVALID_SYSTEM_ENDPOINT"
    INVALID_QUEUE = "INVALID_QUEUE"
    INVALID_OUTBOUND_STRATEGY = "INVALID_OUTBOUND_STRATEGY"
    MISSING_CAMPAIGN = "MISSING_CAMPAIGN"
    MISSING_CUSTOMER_ENDPOINT = "MISSING_CUSTOMER_ENDPOINT"
    MISSING_QUEUE_ID_AND_SYSTEM_ENDPOINT = "MISSING_QUEUE_ID_AND_SYSTEM_ENDPOINT"
    REQUEST_THROTTLED = "REQUEST_THROTTLED"
    IDEMPOTENCY_EXCEPTION = "IDEMPOTENCY_EXCEPTION"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class OutboundStrategyTypeEnum(StrEnum):
    AGENT_FIRST = "AGENT_FIRST"


class AllowedUserActionEnum(StrEnum):
    CALL = "CALL"
    DISCARD = "DISCARD"


RequestIdentifierStr = Annotated[str, Field(max_length=80)]
AttributeName = Annotated[str, Field(min_length=1, max_length=32767)]
AttributeValue = Annotated[str, Field(max_length=32767)]


class Endpoint(BaseModel):
    model_config = _WIRE

    Type: EndpointTypeEnum | None = None
    Address: Annotated[str, Field(max_length=256)] | None = None


class CampaignRef(BaseModel):
    model_config = _WIRE

    CampaignId: Annotated[str, Field(min_length=1, max_length=100)] | None = None


class PostAcceptTimeout(BaseModel):
    model_config = _WIRE

    DurationInSeconds: Annotated[int, Strict(), Field(ge=0)]


class PreviewStrategy(BaseModel):
    model_config = _WIRE

    PostAcceptTimeoutConfig: PostAcceptTimeout
    AllowedUserActions: list[AllowedUserActionEnum]


class AgentFirstStrategy(BaseModel):
    model_config = _WIRE

    Preview: PreviewStrategy | None = None


class StrategyConfig(BaseModel):
    model_config = _WIRE

    AgentFirst: AgentFirstStrategy | None = None


class Strategy(BaseModel):
    model_config = _WIRE

    Type: OutboundStrategyTypeEnum
    Config: StrategyConfig | None = None


class ContactDataRequest(BaseModel):
    model_config = _WIRE

    SystemEndpoint: Endpoint | None = None
    CustomerEndpoint: Endpoint | None = None
    RequestIdentifier: RequestIdentifierStr | None = None
    QueueId: str | None = None
    Attributes: dict[AttributeName, AttributeValue] | None = None
    Campaign: CampaignRef | None = None
    OutboundStrategy: Strategy | None = None


class BatchPutContactRequest(BaseModel):
    model_config = _WIRE

    ClientToken: Annotated[str, Field(max_length=500)] | None = None
    InstanceId: Annotated[str, Field(min_length=1, max_length=100)]
    ContactDataRequestList: Annotated[list[ContactDataRequest], Field(min_length=1, max_length=25)]


class SuccessfulRequest(BaseModel):
    model_config = _WIRE

    RequestIdentifier: RequestIdentifierStr | None = None
    ContactId: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class FailedRequest(BaseModel):
    model_config = _WIRE

    RequestIdentifier: RequestIdentifierStr | None = None
    FailureReasonCode: FailureReasonCodeEnum | None = None
    FailureReasonMessage: str | None = None


class BatchPutContactResponse(BaseModel):
    model_config = _WIRE

    SuccessfulRequestList: list[SuccessfulRequest] | None = None
    FailedRequestList: list[FailedRequest] | None = None


# Built once: the whole request is validated by one call.
BATCH_PUT_CONTACT_REQUEST: TypeAdapter[BatchPutContactRequest] = TypeAdapter(BatchPutContactRequest)
CONTACT_DATA_REQUEST: TypeAdapter[ContactDataRequest] = TypeAdapter(ContactDataRequest)

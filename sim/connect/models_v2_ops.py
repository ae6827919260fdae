"""Wire models of the v2 operations that shape a dialing day (connectcampaignsv2 2024-04-23).

UpdateCampaignCommunicationTime, UpdateCampaignCommunicationLimits,
UpdateCampaignSchedule, Put/GetInstanceCommunicationLimits and
ListCampaigns. tests/connect/test_oracle.py checks them against botocore.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter

from sim.connect.models_campaign import CampaignArn, CampaignName
from sim.connect.models_campaign_v2 import (
    Arn,
    CampaignIdV2,
    ExternalCampaignType,
    InstanceIdV2,
    Opaque,
)
from sim.connect.models_v2_config import (
    CommunicationLimitsConfig,
    CommunicationTimeConfig,
    InstanceCommunicationLimitsConfig,
    Schedule,
)

_WIRE = ConfigDict(extra="ignore")
NextToken = Annotated[str, Field(max_length=1000)]


class ChannelSubtype(StrEnum):
    TELEPHONY = "TELEPHONY"
    SMS = "SMS"
    EMAIL = "EMAIL"
    WHATSAPP = "WHATSAPP"


class InstanceIdFilterOperator(StrEnum):
    Eq = "Eq"


class UpdateCampaignCommunicationTimeRequest(BaseModel):
    model_config = _WIRE

    id: CampaignIdV2
    communicationTimeConfig: CommunicationTimeConfig


class UpdateCampaignCommunicationLimitsRequest(BaseModel):
    model_config = _WIRE

    id: CampaignIdV2
    communicationLimitsOverride: CommunicationLimitsConfig


class UpdateCampaignScheduleRequest(BaseModel):
    model_config = _WIRE

    id: CampaignIdV2
    schedule: Schedule


class PutInstanceCommunicationLimitsRequest(BaseModel):
    model_config = _WIRE

    connectInstanceId: InstanceIdV2
    communicationLimitsConfig: InstanceCommunicationLimitsConfig


class GetInstanceCommunicationLimitsRequest(BaseModel):
    model_config = _WIRE

    connectInstanceId: InstanceIdV2


class GetInstanceCommunicationLimitsResponse(BaseModel):
    model_config = _WIRE

    communicationLimitsConfig: InstanceCommunicationLimitsConfig | None = None


class InstanceIdFilter(BaseModel):
    model_config = _WIRE

    value: InstanceIdV2
    operator: InstanceIdFilterOperator


class CampaignFilters(BaseModel):
    model_config = _WIRE

    instanceIdFilter: InstanceIdFilter | None = None


class ListCampaignsRequest(BaseModel):
    model_config = _WIRE

    maxResults: Annotated[int, Strict(), Field(ge=1, le=50)] | None = None
    nextToken: NextToken | None = None
    filters: CampaignFilters | None = None


class CampaignSummary(BaseModel):
    model_config = ConfigDict(extra="ignore", regex_engine="python-re")

    id: CampaignIdV2
    arn: CampaignArn
    name: CampaignName
    connectInstanceId: InstanceIdV2
    channelSubtypes: list[ChannelSubtype]
    type: ExternalCampaignType | None = None
    schedule: Schedule | None = None
    entryLimitsConfig: Opaque | None = None
    connectCampaignFlowArn: Arn | None = None
    lastModifiedTime: datetime | None = None


class ListCampaignsResponse(BaseModel):
    model_config = _WIRE

    nextToken: NextToken | None = None
    campaignSummaryList: list[CampaignSummary] | None = None


# Built once; each request is validated by one call.
UPDATE_COMMUNICATION_TIME: TypeAdapter[UpdateCampaignCommunicationTimeRequest] = TypeAdapter(
    UpdateCampaignCommunicationTimeRequest
)
UPDATE_COMMUNICATION_LIMITS: TypeAdapter[UpdateCampaignCommunicationLimitsRequest] = TypeAdapter(
    UpdateCampaignCommunicationLimitsRequest
)
UPDATE_SCHEDULE: TypeAdapter[UpdateCampaignScheduleRequest] = TypeAdapter(
    UpdateCampaignScheduleRequest
)
PUT_INSTANCE_LIMITS: TypeAdapter[PutInstanceCommunicationLimitsRequest] = TypeAdapter(
    PutInstanceCommunicationLimitsRequest
)
GET_INSTANCE_LIMITS: TypeAdapter[GetInstanceCommunicationLimitsRequest] = TypeAdapter(
    GetInstanceCommunicationLimitsRequest
)
LIST_CAMPAIGNS: TypeAdapter[ListCampaignsRequest] = TypeAdapter(ListCampaignsRequest)

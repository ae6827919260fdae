"""Configuration of the outbound core: instance resources, quotas and faults.

Every default lives here, in the models, so the rest of the package never
falls back to ``dict.get(key, default)``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CAMPAIGNS_PRINCIPAL = "connect-campaigns.amazonaws.com"
"""The identity the outbound campaigns service uses to call BatchPutContact."""


class Quota(BaseModel):
    """A token bucket: ``rate`` requests per second refill, ``burst`` capacity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(ge=0)
    burst: float = Field(ge=1)


class Quotas(BaseModel):
    """Per-operation request quotas (AWS defaults per account and Region)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_put_contact: Quota = Quota(rate=10, burst=15)
    put_dial_request_batch: Quota = Quota(rate=10, burst=10)
    put_outbound_request_batch: Quota = Quota(rate=10, burst=10)
    campaign_control: Quota = Quota(rate=1, burst=2)
    get_campaign_state: Quota = Quota(rate=5, burst=10)
    describe_campaign: Quota = Quota(rate=25, burst=35)
    # v2 Update* of planning settings, Put/GetInstanceCommunicationLimits and
    # ListCampaigns: AWS publishes no figure; the simulator's choice.
    campaign_settings: Quota = Quota(rate=5, burst=10)


class Faults(BaseModel):
    """Injected failures, drawn from the core's RNG (so they replay with the seed).

    ``request_error_probability``: a data-plane call (BatchPutContact,
    PutDialRequestBatch, PutOutboundRequestBatch) fails as a whole with
    InternalServiceException / InternalServerException (500).
    ``item_error_probability``: one item fails with INTERNAL_ERROR
    (BatchPutContact) or UnknownError (dial-request APIs).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    request_error_probability: float = Field(default=0.0, ge=0, le=1)
    item_error_probability: float = Field(default=0.0, ge=0, le=1)


class CoreConfig(BaseModel):
    """One Amazon Connect instance as the core sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instance_id: str = Field(min_length=1, max_length=100)
    queues: tuple[str, ...]
    phone_numbers: tuple[str, ...]  # claimed E.164 numbers
    campaigns_principal: str = CAMPAIGNS_PRINCIPAL
    quotas: Quotas = Quotas()
    faults: Faults = Faults()
    idempotency_retention_s: float = Field(default=7 * 86400, gt=0)
    buffer_limit: int = Field(default=10000, ge=1)  # pending dial requests per campaign
    contact_flows: tuple[str, ...] | None = None  # None: any contact flow id is accepted
    max_campaigns: int = Field(default=500, ge=1)  # campaigns alive at once (quota "total")
    region: str = "us-east-1"  # only used to build ARNs
    account_id: str = "123456789012"  # only used to build ARNs

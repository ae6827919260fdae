"""The Scenario: everything a capacity planner sets for one simulated run."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, Strict, ValidationInfo, model_validator
from pydantic_core import PydanticUndefined

from sim.scenario.agents import AgentGroup
from sim.scenario.base import ApiRate, Frozen, Probability
from sim.scenario.campaigns import Campaign
from sim.scenario.limits import (
    MAX_BUFFER,
    MAX_BURST,
    MAX_CAMPAIGNS,
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_SEED,
)
from sim.scenario.telephony import CallDurations, Instance, Outcomes
from sim.scenario.units import DAY, Instant, PositiveDuration
from sim.scenario.validation import Parts, cross_field_errors


class Quota(Frozen):
    """A token bucket: ``rate`` requests per second, up to ``burst`` at once."""

    rate: ApiRate = Field(description="Requests per second.")
    burst: Annotated[int, Strict(), Field(ge=1, le=MAX_BURST)]


class Quotas(Frozen):
    """Per-account API quotas (published defaults)."""

    batch_put_contact: Quota = Quota(rate=10.0, burst=15)
    put_dial_request_batch: Quota = Quota(rate=10.0, burst=10)
    put_outbound_request_batch: Quota = Quota(rate=10.0, burst=10)


class Faults(Frozen):
    """Injected API failures, for resilience studies."""

    request_error_probability: Probability = Field(
        default=0.0, description="A whole call fails with a server error."
    )
    item_error_probability: Probability = Field(
        default=0.0, description="One item of a batch fails."
    )


class ApiSettings(Frozen):
    """API quotas and fault injection for the core.

    ``dialer_calls_per_second`` null means the BatchPutContact rate; in a
    validated model it is filled in.
    """

    quotas: Quotas = Quotas()
    faults: Faults = Faults()
    idempotency_retention: PositiveDuration = 7 * DAY
    buffer_limit: Annotated[int, Strict(), Field(ge=1, le=MAX_BUFFER)] = Field(
        default=10_000, description="Pending requests per campaign."
    )
    dialer_calls_per_second: ApiRate | None = Field(
        default=None,
        description="How often a campaign's dialer may call BatchPutContact;"
        " null = quotas.batch_put_contact.rate.",
    )

    @model_validator(mode="after")
    def _default_dialer_rate(self) -> ApiSettings:
        if self.dialer_calls_per_second is None:
            # Derived default: not marked as set, so it follows quota overrides.
            rate = self.quotas.batch_put_contact.rate
            object.__setattr__(self, "dialer_calls_per_second", rate)
        return self


class AbandonmentRule(Frozen):
    """The regulatory abandonment check the report applies (US: 3% over 30d)."""

    limit: Probability = 0.03
    window: PositiveDuration = 30 * DAY
    abandoned_redial_gap: PositiveDuration | None = Field(
        default=None,
        description="After an abandoned call, how long before the number may be called"
        " again without a guaranteed agent (UK Ofcom: 72h); null = not checked.",
    )


class Scenario(Frozen):
    """One simulated run: the instance, agents, campaigns and call behaviour.

    Cross-field rules (references, sums, schedule order) are checked when the
    model is built; ``parse_scenario`` reports every error at once.
    """

    name: Annotated[str, Field(max_length=MAX_NAME)] = "scenario"
    description: Annotated[str, Field(max_length=MAX_DESCRIPTION)] = ""
    seed: Annotated[int, Strict(), Field(ge=0, le=MAX_SEED)] = Field(
        default=0, description="Seed of the run's random number generator."
    )
    start: Instant = Field(description="Start instant, with a UTC offset.")
    horizon: PositiveDuration = Field(description="The simulation never runs past start+horizon.")
    interval: PositiveDuration = Field(default=900.0, description="Reporting interval.")
    instance: Instance = Instance()
    agent_groups: tuple[AgentGroup, ...] = ()
    campaigns: tuple[Campaign, ...] = Field(min_length=1, max_length=MAX_CAMPAIGNS)
    outcomes: Outcomes = Outcomes()
    durations: CallDurations = CallDurations()
    api: ApiSettings = ApiSettings()
    abandonment_rule: AbandonmentRule = AbandonmentRule()

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scenario:
        context: dict[str, Any] = info.context or {}
        if not context.get("defer_cross_checks"):
            errors = cross_field_errors(self.parts())
            if errors:
                raise ValueError("; ".join(errors))
        self._fill_source_numbers()
        return self

    def parts(self) -> Parts:
        """The scenario's parts, for the cross-field checks."""
        return Parts(
            self.instance,
            list(enumerate(self.agent_groups)),
            list(enumerate(self.campaigns)),
            self.start,
            self.horizon,
            self.interval,
        )

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The defaults of the top-level keys that have one."""
        out = {}
        for key, field in cls.model_fields.items():
            default = field.get_default(call_default_factory=True)
            if default is not PydanticUndefined:
                out[key] = default
        return out

    def _fill_source_numbers(self) -> None:
        default = self.instance.phone_numbers[0]
        campaigns = []
        for campaign in self.campaigns:
            if campaign.source_phone_number is None:
                # A copy, since the same Campaign object may sit in other scenarios.
                campaign = campaign.model_copy()
                object.__setattr__(campaign, "source_phone_number", default)
            campaigns.append(campaign)
        object.__setattr__(self, "campaigns", tuple(campaigns))

    @property
    def start_ts(self) -> float:
        """The start as POSIX seconds: the engine's initial ``env.now``."""
        return self.start.timestamp()

    @property
    def end_ts(self) -> float:
        """start_ts + horizon: nothing happens at or after this instant."""
        return self.start_ts + self.horizon

    def campaign(self, campaign_id: str) -> Campaign:
        """The campaign with this id (KeyError if none)."""
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise KeyError(campaign_id)

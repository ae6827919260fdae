"""Outbound campaigns: dial mode, API, pacing settings, redial, schedule, sources."""

from __future__ import annotations

import re
from typing import Annotated, Literal, Protocol

from pydantic import Field, Strict, model_validator

from sim.scenario.answer_rates import AnswerRates
from sim.scenario.base import (
    Frozen,
    Identifier,
    PhoneNumber,
    Probability,
    Share,
    StrictBool,
)
from sim.scenario.dialing_day import (
    CampaignSchedule,
    CommunicationLimitsConfig,
    CommunicationTime,
)
from sim.scenario.distributions import Distribution, Uniform
from sim.scenario.limits import MAX_ATTEMPTS, MAX_CAMPAIGN_NAME
from sim.scenario.sources import Source
from sim.scenario.telephony import Instance, Outcomes
from sim.scenario.units import HOUR, Duration, PositiveDuration, at_least, within


class _Context(Protocol):
    """What a campaign's defaults come from (the Scenario)."""

    @property
    def outcomes(self) -> Outcomes: ...

    @property
    def instance(self) -> Instance: ...


Mode = Literal["progressive", "predictive", "agentless", "preview"]
ApiVersion = Literal["v1", "v2"]
ConnectionStartPoint = Literal["CONNECTED_TO_SYSTEM", "GREETING_START", "GREETING_END"]
RedialOutcome = Literal["NO_ANSWER", "BUSY", "VOICEMAIL", "ABANDONED", "AMD_HANGUP"]
ScheduleAction = Literal["pause", "resume", "stop", "start"]

MODES: tuple[Mode, ...] = ("progressive", "predictive", "agentless", "preview")
AGENT_MODES = frozenset({"progressive", "predictive", "preview"})

# The campaign id as each API's request models accept it in the URL (v1
# CampaignId: no whitespace; v2: letters, digits, '-', ':' and '/').
CAMPAIGN_ID_PATTERNS = {
    "v1": (re.compile(r"\S+"), "no spaces"),
    "v2": (re.compile(r"[-:/a-zA-Z0-9]+"), "only letters, digits, '-', ':' and '/'"),
}
CampaignName = Annotated[str, Field(min_length=1, max_length=MAX_CAMPAIGN_NAME)]
DialingCapacity = Annotated[float, Strict(), Field(ge=0.01, le=1.0, allow_inf_nan=False)]


class PredictiveConfig(Frozen):
    """Predictive pacing (v2 abandonmentRate config); used when mode = predictive."""

    target_abandonment: Probability = 0.03
    connection_start_point: ConnectionStartPoint | None = Field(
        default=None,
        description="Where the connection threshold starts; null = GREETING_END with AMD on"
        " (the console offers only the greeting start points then), CONNECTED_TO_SYSTEM"
        " with AMD off.",
    )
    connection_threshold: Annotated[Duration, at_least(1.0)] = 2.0
    after_threshold: Literal["queue", "hang_up"] = Field(
        default="queue",
        description="A live call still waiting at the threshold is counted abandoned; queue:"
        " it stays in the queue until an agent takes it or the customer hangs up;"
        " hang_up: the flow plays its message and disconnects (regulated markets).",
    )
    evaluation_window: Annotated[Duration, within("1h", "24h")] = Field(
        default=HOUR, description="PT1H..PT24H."
    )
    initial_live_answer_estimate: Probability | None = Field(
        default=None, description="Prior p(live answer); null = the outcome model's."
    )
    pacing: Literal["adaptive", "immediate"] = Field(
        default="adaptive",
        description="adaptive: dial ahead of agents within the abandonment target;"
        " immediate: dial every buffered request as soon as a line is free (an unpaced"
        " dialer, whose answered calls queue for agents: the Erlang A model).",
    )


class PreviewConfig(Frozen):
    """Preview dialing: the agent reviews a contact before it is dialed."""

    timeout: Annotated[Duration, within("1s", "300s")] = Field(
        default=30.0, description="Agent's review time limit, 1s..300s."
    )
    review_time: Distribution = Uniform(low=5.0, high=20.0)
    discard_probability: Probability = 0.05


class RedialPolicy(Frozen):
    """The client's redials: a number whose attempt ended in one of ``on`` is
    submitted again (a new dial request, with a new clientToken) ``delay``
    later, up to ``max_attempts`` attempts in all; max_attempts 1 means none."""

    max_attempts: Annotated[int, Strict(), Field(ge=1, le=MAX_ATTEMPTS)] = 1
    delay: Duration = HOUR
    delays: dict[RedialOutcome, Duration] = Field(
        default_factory=dict,
        description="A wait per outcome (the admin guide's reattempt rules: e.g. BUSY 15m,"
        " NO_ANSWER 30m); an outcome not listed waits ``delay``.",
    )
    on: tuple[RedialOutcome, ...] = ("NO_ANSWER", "BUSY")
    expires_after: PositiveDuration = Field(
        default=HOUR, description="expirationTime of a redial = its submission + this."
    )


class ScheduleEntry(Frozen):
    """A campaign control call at an offset from the scenario start."""

    at: Duration
    action: ScheduleAction


class Campaign(Frozen):
    """One outbound campaign.

    ``name`` defaults to ``id``. ``source_phone_number`` null means the
    instance's first number; in a validated Scenario it is filled in.
    """

    id: Identifier
    name: CampaignName | None = None
    mode: Mode = "progressive"
    api: ApiVersion = Field(
        default="v1", description="v1 PutDialRequestBatch, v2 PutOutboundRequestBatch."
    )
    queue: Identifier | None = Field(default=None, description="Required unless agentless.")
    bandwidth_allocation: Share = 1.0
    dialing_capacity: DialingCapacity = Field(
        default=1.0, description="Share of the instance's concurrent calls."
    )
    source_phone_number: PhoneNumber | None = None
    answering_machine_detection: StrictBool = True
    await_answer_machine_prompt: StrictBool = Field(
        default=False,
        description="awaitAnswerMachinePrompt: a message left on a machine waits for the beep.",
    )
    ring_timeout: Annotated[Duration, within("15s", "60s")] = Field(
        default=30.0, description="15s..60s."
    )
    outcomes: Outcomes | None = Field(
        default=None, description="Overrides the scenario's outcomes for this campaign."
    )
    predictive: PredictiveConfig = PredictiveConfig()
    preview: PreviewConfig = PreviewConfig()
    redial: RedialPolicy = RedialPolicy()
    schedule: tuple[ScheduleEntry, ...] = ()
    communication_time: CommunicationTime | None = Field(
        default=None,
        description="v2 communicationTimeConfig (calling hours in the recipient's zone);"
        " api v2 only; null = dial at any hour.",
    )
    communication_limits: CommunicationLimitsConfig | None = Field(
        default=None,
        description="v2 communicationLimitsOverride: contacts per recipient per rolling"
        " window; api v2 only.",
    )
    answer_rates_by_hour: AnswerRates | None = Field(
        default=None,
        description="Outcome probabilities by the recipient's local hour (a table, or the"
        " path of a YAML file with one); needs communication_time.",
    )
    campaign_schedule: CampaignSchedule | None = Field(
        default=None,
        description="v2 schedule: dial from start_time, complete at end_time; api v2 only.",
    )
    sources: tuple[Source, ...] = ()

    @model_validator(mode="after")
    def _v2_settings(self) -> Campaign:
        given = [
            key
            for key in ("communication_time", "communication_limits", "campaign_schedule")
            if getattr(self, key) is not None
        ]
        if given and self.api != "v2":
            raise ValueError(f"{' and '.join(given)} need api: v2 (they are v2 settings)")
        if self.answer_rates_by_hour is not None and self.communication_time is None:
            raise ValueError(
                "answer_rates_by_hour needs communication_time (the recipient's time zone)"
            )
        return self

    @model_validator(mode="after")
    def _default_name(self) -> Campaign:
        if self.name is None:
            # Derived default: not marked as set, so overrides of id carry it along.
            object.__setattr__(self, "name", self.id)
        return self

    @property
    def needs_agents(self) -> bool:
        return self.mode in AGENT_MODES

    def effective_outcomes(self, scenario: _Context) -> Outcomes:
        """This campaign's outcome model: its own, else the scenario's."""
        return self.outcomes if self.outcomes is not None else scenario.outcomes

    def caller_id(self, scenario: _Context) -> str:
        """The number calls are placed from."""
        return self.source_phone_number or scenario.instance.phone_numbers[0]

    def start_point(self) -> str:
        """The connection threshold's start point, the default resolved by AMD."""
        point = self.predictive.connection_start_point
        if point is not None:
            return point
        return "GREETING_END" if self.answering_machine_detection else "CONNECTED_TO_SYSTEM"

    def starts_running(self) -> bool:
        """Whether the campaign is started at offset 0 (no ``start`` in its schedule)."""
        return not any(entry.action == "start" for entry in self.schedule)

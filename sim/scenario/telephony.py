"""The Connect instance, the call-outcome model and call durations."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import AfterValidator, Field, Strict, field_validator, model_validator

from sim.scenario.base import Frozen, Identifier, PhoneNumber, Probability, duplicates
from sim.scenario.dialing_day import InstanceLimits
from sim.scenario.distributions import Distribution, Exponential, Fixed, LogNormal, Uniform
from sim.scenario.limits import MAX_CONCURRENT_CALLS

OUTCOME_TOLERANCE = 1e-6
_INSTANCE_ID = re.compile(r"[a-zA-Z0-9_\-.]+")


def _instance_id(value: str) -> str:
    if not _INSTANCE_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an instance id the API accepts (letters, digits, '_', '-', '.')"
        )
    return value


class Instance(Frozen):
    """The Amazon Connect instance: its queues, claimed numbers and call limit."""

    id: Annotated[Identifier, AfterValidator(_instance_id)] = Field(
        default="instance-1",
        description="Letters, digits, '_', '-' and '.' (the API's InstanceId).",
    )
    queues: tuple[Identifier, ...] = Field(default=("default",), min_length=1)
    phone_numbers: tuple[PhoneNumber, ...] = Field(default=("+15550100",), min_length=1)
    concurrent_calls: Annotated[int, Strict(), Field(ge=1, le=MAX_CONCURRENT_CALLS)] = Field(
        default=10, description="Concurrent active calls limit of the instance (telecom)."
    )
    contact_flow_id: Identifier = "default-outbound-flow"
    communication_limits: InstanceLimits | None = Field(
        default=None,
        description="PutInstanceCommunicationLimits: limits over every v2 campaign that"
        " does not opt out; null = none.",
    )

    @field_validator("queues", "phone_numbers")
    @classmethod
    def _unique(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        if repeated := duplicates(values):
            raise ValueError(f"must be unique; repeated: {', '.join(map(repr, repeated))}")
        return values


class AmdErrors(Frozen):
    """How answering-machine detection classifies answered calls (only with AMD on).

    Statuses as in the contact-record data model: a person is HUMAN_ANSWERED,
    or taken for a machine (VOICEMAIL_NO_BEEP, hung up: AMD_HANGUP); a machine
    is VOICEMAIL_BEEP or VOICEMAIL_NO_BEEP, FAX_MACHINE_DETECTED, or taken for a
    person (HUMAN_ANSWERED, reaches an agent). Either may be left undecided
    (AMD_UNRESOLVED, or AMD_UNRESOLVED_SILENCE for a person who said nothing)
    or hit an error (AMD_ERROR): the flow routes those to the queue like a
    person. Busy and invalid numbers are SIT_TONE_BUSY / SIT_TONE_INVALID_NUMBER,
    or the unspecific SIT_TONE_DETECTED.
    """

    human_as_machine: Probability = Field(
        default=0.0, description="A live person taken for a machine (call hung up: AMD_HANGUP)."
    )
    machine_as_human: Probability = Field(
        default=0.0, description="A machine taken for a person (reaches an agent)."
    )
    unresolved: Probability = Field(
        default=0.0, description="An answered call AMD cannot decide on (AMD_UNRESOLVED)."
    )
    silence: Probability = Field(
        default=0.0,
        description="Of the undecided live people, the share who were silent"
        " (AMD_UNRESOLVED_SILENCE).",
    )
    error: Probability = Field(
        default=0.0, description="AMD fails on an answered call (AMD_ERROR)."
    )
    beep: Probability = Field(
        default=0.8, description="Share of detected voicemails with a beep (VOICEMAIL_BEEP)."
    )
    fax: Probability = Field(
        default=0.0, description="Share of machines that are fax machines (FAX_MACHINE_DETECTED)."
    )
    sit_unspecified: Probability = Field(
        default=0.0,
        description="Share of busy and invalid numbers whose tone is reported only as"
        " SIT_TONE_DETECTED.",
    )

    @model_validator(mode="after")
    def _one_decision(self) -> AmdErrors:
        for side, wrong in (("person", self.human_as_machine), ("machine", self.machine_as_human)):
            total = wrong + self.unresolved + self.error
            if total > 1.0 + OUTCOME_TOLERANCE:
                raise ValueError(
                    f"a {side} is misclassified, unresolved or in error with probability"
                    f" {total:.6g} (more than 1)"
                )
        return self


class Outcomes(Frozen):
    """What a dial attempt reaches. The five probabilities sum to 1."""

    live_answer: Probability = 0.35
    voicemail: Probability = 0.40
    no_answer: Probability = 0.15
    busy: Probability = 0.05
    invalid_number: Probability = 0.05
    amd: AmdErrors = AmdErrors()

    @model_validator(mode="after")
    def _sums_to_one(self) -> Outcomes:
        total = math.fsum(self.probabilities().values())
        if abs(total - 1.0) > OUTCOME_TOLERANCE:
            raise ValueError(f"probabilities must sum to 1 (got {total:.6g})")
        return self

    def probabilities(self) -> dict[str, float]:
        """The five outcome probabilities by name, in a fixed order."""
        return {
            "live_answer": self.live_answer,
            "voicemail": self.voicemail,
            "no_answer": self.no_answer,
            "busy": self.busy,
            "invalid_number": self.invalid_number,
        }


class CallDurations(Frozen):
    """How long the parts of a call take."""

    ring_to_answer: Distribution = Field(
        default=Exponential(mean_s=12.0),
        description="Ring start to answer; the engine caps it at the ring timeout.",
    )
    talk: Distribution = LogNormal(mean_s=180.0, sd=60.0)
    patience: Distribution = Field(
        default=Exponential(mean_s=30.0),
        description="How long a live customer waits for an agent before hanging up.",
    )
    voicemail: Distribution = Field(
        default=Fixed(value=20.0),
        description="Time on a machine that got through, and the agentless message length.",
    )
    busy_signal: Distribution = Field(
        default=Fixed(value=5.0), description="Time to a busy or invalid-number outcome."
    )
    greeting_start: Distribution | None = Field(
        default=None,
        description="Answer to the start of the customer's greeting ('Hello?'), where the"
        " GREETING_START connection threshold starts; null = at the answer.",
    )
    greeting: Distribution | None = Field(
        default=Uniform(low=0.5, high=1.5),
        description="Length of the customer's greeting; the GREETING_END connection"
        " threshold starts at its end; null = no greeting (zero).",
    )
    amd_delay: Distribution = Field(
        default=Uniform(low=1.0, high=2.5),
        description="With AMD on: answer to the classification, when a person reaches the"
        " queue (or a machine is hung up on); it runs inside the connection threshold.",
    )
    voicemail_prompt: Distribution = Field(
        default=Uniform(low=5.0, high=15.0),
        description="Answer to a voicemail's beep; with awaitAnswerMachinePrompt a message"
        " left on the machine starts after it.",
    )

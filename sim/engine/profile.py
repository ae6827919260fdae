"""The random draws of a campaign's calls, all from the run's one RNG.

``Profile`` draws outcomes and durations from the scenario's typed outcome
and duration models; ``PreviewPolicy`` draws an agent's review of a preview
contact. Samplers are built once, so a draw is one call with no lookup.
"""

from __future__ import annotations

import random

from sim.scenario import CallDurations, Distribution, Outcomes, PreviewConfig
from sim.scenario.distributions import Sampler
from sim.scenario.telephony import AmdErrors

# Outcome draws.
LIVE, MACHINE, NO_ANSWER, BUSY, INVALID = range(5)

# AnsweringMachineDetectionStatus values (contact-record data model).
HUMAN_ANSWERED = "HUMAN_ANSWERED"
VOICEMAIL_BEEP = "VOICEMAIL_BEEP"
VOICEMAIL_NO_BEEP = "VOICEMAIL_NO_BEEP"
FAX_MACHINE_DETECTED = "FAX_MACHINE_DETECTED"
AMD_UNRESOLVED = "AMD_UNRESOLVED"
AMD_UNRESOLVED_SILENCE = "AMD_UNRESOLVED_SILENCE"
AMD_ERROR = "AMD_ERROR"
AMD_UNANSWERED = "AMD_UNANSWERED"
AMD_NOT_APPLICABLE = "AMD_NOT_APPLICABLE"
AMD_DISABLED = "AMD_DISABLED"
SIT_TONE_BUSY = "SIT_TONE_BUSY"
SIT_TONE_INVALID_NUMBER = "SIT_TONE_INVALID_NUMBER"
SIT_TONE_DETECTED = "SIT_TONE_DETECTED"
# Statuses the flow hangs up on (a machine, as AMD sees it); the rest go to the queue.
MACHINE_STATUSES = frozenset({VOICEMAIL_BEEP, VOICEMAIL_NO_BEEP, FAX_MACHINE_DETECTED})


class Classifier:
    """Answering-machine detection's verdicts, from one set of AMD error rates.

    A campaign has one (its ``outcomes.amd``); an ``answer_rates_by_hour``
    table may give an hour its own, drawn for the dials placed in that local
    hour. The draws come from the run's one RNG.
    """

    __slots__ = (
        "beep",
        "error",
        "fax",
        "human_as_machine",
        "machine_as_human",
        "rng",
        "silence",
        "sit_unspecified",
        "unresolved",
    )

    def __init__(self, amd: AmdErrors, rng: random.Random) -> None:
        self.rng = rng
        self.human_as_machine = amd.human_as_machine
        self.machine_as_human = amd.machine_as_human
        self.unresolved = amd.unresolved
        self.silence = amd.silence
        self.error = amd.error
        self.beep = amd.beep
        self.fax = amd.fax
        self.sit_unspecified = amd.sit_unspecified

    def classify(self, human: bool) -> str:
        """The AMD status of an answered call, from who really answered."""
        rng = self.rng
        u = rng.random()
        wrong = self.human_as_machine if human else self.machine_as_human
        if u < wrong:
            return VOICEMAIL_NO_BEEP if human else HUMAN_ANSWERED
        u -= wrong
        if u < self.unresolved:
            silent = human and self.silence > 0.0 and rng.random() < self.silence
            return AMD_UNRESOLVED_SILENCE if silent else AMD_UNRESOLVED
        if u - self.unresolved < self.error:
            return AMD_ERROR
        if human:
            return HUMAN_ANSWERED
        if self.fax > 0.0 and rng.random() < self.fax:
            return FAX_MACHINE_DETECTED
        return VOICEMAIL_BEEP if rng.random() < self.beep else VOICEMAIL_NO_BEEP

    def sit_status(self, busy: bool) -> str:
        """The AMD status of a busy or invalid number (its special information tone)."""
        if self.sit_unspecified > 0.0 and self.rng.random() < self.sit_unspecified:
            return SIT_TONE_DETECTED
        return SIT_TONE_BUSY if busy else SIT_TONE_INVALID_NUMBER


class Profile:
    """The outcome and duration draws of one campaign's calls."""

    __slots__ = (
        "amd",
        "amd_delay",
        "busy_signal",
        "cumulative",
        "greeting",
        "greeting_start",
        "patience",
        "ring_to_answer",
        "rng",
        "talk",
        "voicemail",
        "voicemail_prompt",
    )

    def __init__(self, durations: CallDurations, outcomes: Outcomes, rng: random.Random) -> None:
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
        self.amd = Classifier(outcomes.amd, rng)
        self.amd_delay: Sampler = durations.amd_delay.sampler(rng)
        self.voicemail_prompt: Sampler = durations.voicemail_prompt.sampler(rng)
        self.ring_to_answer: Sampler = durations.ring_to_answer.sampler(rng)
        self.talk: Sampler = durations.talk.sampler(rng)
        self.patience: Sampler = durations.patience.sampler(rng)
        self.voicemail: Sampler = durations.voicemail.sampler(rng)
        self.busy_signal: Sampler = durations.busy_signal.sampler(rng)
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

    def draw_outcome(self, cumulative: tuple[float, ...] | None = None) -> int:
        """0 live, 1 machine, 2 no answer, 3 busy, 4 invalid number; from the
        campaign's probabilities, or ``cumulative`` ones (one random draw either way)."""
        u = self.rng.random()
        c = self.cumulative if cumulative is None else cumulative
        if u < c[0]:
            return LIVE
        if u < c[1]:
            return MACHINE
        if u < c[2]:
            return NO_ANSWER
        if u < c[3]:
            return BUSY
        return INVALID


class PreviewPolicy:
    """How long an agent reviews a preview contact, and whether it is discarded.

    A review that would outlast the preview timeout ends at the timeout and
    the contact is dialed (the agent did not act in time).
    """

    __slots__ = ("discard_probability", "review_time", "rng", "timeout")

    def __init__(self, config: PreviewConfig, rng: random.Random) -> None:
        self.rng = rng
        self.timeout: float = config.timeout
        self.discard_probability: float = config.discard_probability
        self.review_time: Sampler = config.review_time.sampler(rng)

    def review(self) -> tuple[float, bool]:
        spent = self.review_time()
        if spent >= self.timeout:
            return self.timeout, False
        return spent, self.rng.random() < self.discard_probability


def _optional(distribution: Distribution | None, rng: random.Random) -> Sampler | None:
    """The sampler of an optional distribution (None when not modelled)."""
    return None if distribution is None else distribution.sampler(rng)

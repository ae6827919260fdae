"""What the engine tracks for one campaign while it runs.

A ``CampaignRuntime`` is built from the campaign's typed scenario model: its
dial settings, its ``Share`` of the instance, its draws, and (predictive
campaigns) the pacer's feedback hooks that the calls report to.
"""

from __future__ import annotations

import random
from typing import Protocol

from sim.engine.lines import Share
from sim.engine.profile import Classifier, PreviewPolicy, Profile
from sim.scenario import CallDurations, Outcomes
from sim.scenario import Campaign as ScenarioCampaign


class PacingFeedback(Protocol):
    """What a call tells its campaign's pacer (predictive pacing listens)."""

    def rang_out(self, needs_agent: bool, answer_delay: float | None) -> None: ...

    def live_result(self, abandoned: bool, now: float) -> None: ...


class CampaignRuntime:
    """One campaign's settings, share, draws and running state in the engine."""

    __slots__ = (
        "agentless",
        "amd_enabled",
        "await_prompt",
        "config",
        "feedback",
        "hour_amd",
        "id",
        "mode",
        "preview",
        "profile",
        "queue_id",
        "rates",
        "ring_timeout",
        "running",
        "share",
        "source_phone_number",
        "start_point",
    )

    def __init__(
        self,
        config: ScenarioCampaign,
        default_phone_number: str,
        durations: CallDurations,
        outcomes: Outcomes,
        rng: random.Random,
    ) -> None:
        self.config = config
        self.id: str = config.id
        self.mode: str = config.mode
        self.agentless = config.mode == "agentless"
        self.queue_id: str | None = None if self.agentless else config.queue
        self.source_phone_number: str = config.source_phone_number or default_phone_number
        self.ring_timeout: float = config.ring_timeout
        self.amd_enabled: bool = config.answering_machine_detection
        self.await_prompt: bool = config.await_answer_machine_prompt
        self.start_point: str = config.start_point()
        self.share = Share(config.id, config.bandwidth_allocation, config.dialing_capacity)
        base = config.outcomes or outcomes
        table = config.answer_rates_by_hour
        if table is not None and table.amd is not None:
            base = base.model_copy(update={"amd": table.amd})
        self.profile = Profile(durations, base, rng)
        # AMD verdicts by the recipient's local hour, for the hours that have their own rates.
        self.hour_amd: dict[int, Classifier] = (
            {}
            if table is None
            else {hour: Classifier(amd, rng) for hour, amd in table.amd_by_hour().items()}
        )
        # Outcome thresholds by the recipient's local (weekday, hour), if the campaign has them.
        self.rates = table
        self.running = False
        self.feedback: PacingFeedback | None = None  # the predictive pacer, if any
        self.preview = PreviewPolicy(config.preview, rng) if config.mode == "preview" else None

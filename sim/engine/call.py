"""One dial attempt's record: a slotted object moved along by callbacks."""

from __future__ import annotations

from sim.domain import DialRequest
from sim.engine.agents import Agent
from sim.engine.campaigns import CampaignRuntime


class Call:
    """One contact's progress. ``version`` continues the core's INITIATED (1)."""

    __slots__ = (
        "acw",
        "agent",
        "contact_id",
        "human",
        "outcome",
        "rang_at",
        "request",
        "runtime",
        "version",
        "waiting",
    )

    def __init__(
        self, runtime: CampaignRuntime, request: DialRequest, contact_id: str, agent: Agent | None
    ) -> None:
        self.runtime = runtime
        self.request = request
        self.contact_id = contact_id
        self.agent = agent
        self.version = 1
        self.outcome: str | None = None
        self.human = False
        self.waiting = False
        self.acw = 0.0
        self.rang_at = 0.0

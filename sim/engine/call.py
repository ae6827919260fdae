"""One dial attempt's record: a slotted object moved along by callbacks."""

from __future__ import annotations

from sim.domain import WaitingContact
from sim.engine.agents import Agent
from sim.engine.campaigns import CampaignRuntime


class Call:
    """One contact's dial attempt, from DIAL_REQUEST_DIALED to COMPLETED.

    ``version`` continues the contact's stream after INITIATED (1);
    ``request_version`` the dial request's after DIAL_REQUEST_ACCEPTED (1).
    ``abandoned`` is set once the call counted as abandoned (the connection
    threshold passed, or the customer hung up, before an agent took it).
    """

    __slots__ = (
        "abandoned",
        "acw",
        "agent",
        "amd",
        "amd_status",
        "answered_at",
        "attempt",
        "classifier",
        "contact",
        "contact_id",
        "human",
        "outcome",
        "rang_at",
        "reason",
        "request_version",
        "runtime",
        "threshold_at",
        "version",
        "visible",
        "waiting",
    )

    def __init__(
        self, runtime: CampaignRuntime, contact: WaitingContact, agent: Agent | None, attempt: int
    ) -> None:
        self.runtime = runtime
        self.classifier = runtime.profile.amd  # AMD's verdicts; ring() may pick the hour's
        self.contact = contact
        self.contact_id = contact.contact_id
        self.agent = agent
        self.attempt = attempt
        self.version = 1
        self.request_version = 1
        self.amd = runtime.amd_enabled if contact.amd_enabled is None else contact.amd_enabled
        self.amd_status = ""  # set when the call's fate is known
        self.reason = ""  # the disconnect reason, set with the outcome
        self.outcome: str | None = None
        self.human = False  # a person answered (the truth AMD guesses at)
        self.visible = False  # Connect counts it live (HUMAN_ANSWERED, or AMD off)
        self.waiting = False
        self.abandoned = False
        self.acw = 0.0
        self.rang_at = 0.0
        self.answered_at = 0.0
        self.threshold_at = 0.0

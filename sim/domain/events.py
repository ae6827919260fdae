"""Event types in Amazon Connect's vocabulary, and the sink protocol.

Every state change in the simulator is one immutable :class:`Event`. Events
belong to a *stream* (a contact, a dial request, an agent, a campaign, or a
campaign's dialer) and carry the stream's version: 1 for the first event of a
stream, then 2, 3, ... with no gaps. The owner of a stream's state (the record
object below, or the component that owns it) keeps its version counter, so no
global map of live versions is needed.

Time is the simulated clock as POSIX seconds (float). Inside the model it is
``env.now`` of an environment started at the scenario's start instant; in the
HTTP face it is the wall clock.

Payload keys per event type are listed in ``PAYLOAD_KEYS``; they are
snake_case and JSON-serialisable (str, int, float, bool, None, list, dict).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, Protocol


class Event(NamedTuple):
    """One immutable state change of one stream."""

    stream_id: str
    version: int
    type: str
    time: float
    payload: Mapping[str, Any]


class EventSink(Protocol):
    """Where events go. ``append`` takes them in emission order."""

    def append(self, events: Sequence[Event]) -> None: ...


class ListSink:
    """A sink that keeps every event in memory (tests, small runs)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


class StreamKind(StrEnum):
    CONTACT = "contact"
    DIAL_REQUEST = "dial_request"
    AGENT = "agent"
    CAMPAIGN = "campaign"
    DIALER = "dialer"


class EventType(StrEnum):
    # -- contact stream (stream_id = ContactId) -----------------------------
    INITIATED = "INITIATED"
    RINGING = "RINGING"
    CONNECTED_TO_SYSTEM = "CONNECTED_TO_SYSTEM"
    QUEUED = "QUEUED"
    CONNECTED_TO_AGENT = "CONNECTED_TO_AGENT"
    DISCONNECTED = "DISCONNECTED"
    COMPLETED = "COMPLETED"
    # -- dial-request stream (stream_id = dial request id) -------------------
    DIAL_REQUEST_ACCEPTED = "DIAL_REQUEST_ACCEPTED"
    DIAL_REQUEST_REJECTED = "DIAL_REQUEST_REJECTED"
    DIAL_REQUEST_DIALED = "DIAL_REQUEST_DIALED"
    DIAL_REQUEST_RETRY_SCHEDULED = "DIAL_REQUEST_RETRY_SCHEDULED"
    DIAL_REQUEST_EXPIRED = "DIAL_REQUEST_EXPIRED"
    DIAL_REQUEST_FAILED = "DIAL_REQUEST_FAILED"
    DIAL_REQUEST_COMPLETED = "DIAL_REQUEST_COMPLETED"
    # -- agent stream (stream_id = agent id) ---------------------------------
    LOGIN = "LOGIN"
    STATE_CHANGE = "STATE_CHANGE"
    LOGOUT = "LOGOUT"
    # -- campaign stream (stream_id = campaign id) ---------------------------
    CAMPAIGN_CREATED = "CAMPAIGN_CREATED"
    CAMPAIGN_STATE_CHANGED = "CAMPAIGN_STATE_CHANGED"
    CAMPAIGN_UPDATED = "CAMPAIGN_UPDATED"  # v2 Update* of a planning setting
    # -- dialer stream (stream_id = "dialer:" + campaign id) -----------------
    BATCH_PUT_CONTACT_CALLED = "BATCH_PUT_CONTACT_CALLED"


STREAM_KIND: dict[str, StreamKind] = {
    **{
        t: StreamKind.CONTACT
        for t in (
            "INITIATED",
            "RINGING",
            "CONNECTED_TO_SYSTEM",
            "QUEUED",
            "CONNECTED_TO_AGENT",
            "DISCONNECTED",
            "COMPLETED",
        )
    },
    **{t.value: StreamKind.DIAL_REQUEST for t in EventType if t.startswith("DIAL_REQUEST_")},
    "LOGIN": StreamKind.AGENT,
    "STATE_CHANGE": StreamKind.AGENT,
    "LOGOUT": StreamKind.AGENT,
    "CAMPAIGN_CREATED": StreamKind.CAMPAIGN,
    "CAMPAIGN_STATE_CHANGED": StreamKind.CAMPAIGN,
    "CAMPAIGN_UPDATED": StreamKind.CAMPAIGN,
    "BATCH_PUT_CONTACT_CALLED": StreamKind.DIALER,
}


class AgentState(StrEnum):
    OFFLINE = "OFFLINE"
    AVAILABLE = "AVAILABLE"
    RESERVED = "RESERVED"  # held for a ringing progressive / preview call
    ON_CONTACT = "ON_CONTACT"
    AFTER_CONTACT_WORK = "AFTER_CONTACT_WORK"
    ON_BREAK = "ON_BREAK"


class Outcome(StrEnum):
    """What one dial attempt came to (the ``outcome`` of DISCONNECTED)."""

    CONNECTED = "CONNECTED"  # live person talked to an agent
    ABANDONED = "ABANDONED"  # live person, no agent in time
    AMD_HANGUP = "AMD_HANGUP"  # live person taken for a machine, hung up
    MACHINE_CONNECTED = "MACHINE_CONNECTED"  # machine taken for a person, reached an agent
    VOICEMAIL = "VOICEMAIL"  # machine detected (or agentless message left)
    NO_ANSWER = "NO_ANSWER"
    BUSY = "BUSY"
    INVALID_NUMBER = "INVALID_NUMBER"
    DELIVERED = "DELIVERED"  # agentless: live person heard the message
    DISCARDED = "DISCARDED"  # preview: agent discarded before dialing
    RESOURCE_ERROR = "RESOURCE_ERROR"  # no telecom capacity (fast busy)


# The last event of a stream: nothing follows it on that stream.
TERMINAL_TYPES = frozenset(
    {
        EventType.COMPLETED,
        EventType.DIAL_REQUEST_REJECTED,
        EventType.DIAL_REQUEST_EXPIRED,
        EventType.DIAL_REQUEST_FAILED,
        EventType.DIAL_REQUEST_COMPLETED,
    }
)

LIVE_OUTCOMES = frozenset(
    {Outcome.CONNECTED, Outcome.ABANDONED, Outcome.AMD_HANGUP, Outcome.DELIVERED}
)


# Payload keys by event type: the contract between emitters and projections.
PAYLOAD_KEYS: dict[str, tuple[str, ...]] = {
    # contact
    # request_identifier is the dial request id: the dialer sets it so.
    "INITIATED": (
        "campaign_id",
        "request_identifier",
        "instance_id",
        "queue_id",
        "customer_endpoint",
        "system_endpoint",
    ),
    "RINGING": ("agent_id",),  # agent_id: reserved agent, or None
    "CONNECTED_TO_SYSTEM": ("amd_status",),
    "QUEUED": ("queue_id",),
    "CONNECTED_TO_AGENT": ("agent_id",),
    "DISCONNECTED": ("disconnect_reason", "amd_status", "outcome"),
    "COMPLETED": ("after_contact_work_s",),
    # dial request
    "DIAL_REQUEST_ACCEPTED": (
        "campaign_id",
        "client_token",
        "phone_number",
        "expiration_time",
        "api",
    ),
    "DIAL_REQUEST_REJECTED": ("campaign_id", "client_token", "failure_code", "reason"),
    "DIAL_REQUEST_DIALED": ("campaign_id", "contact_id", "attempt", "waited_s"),
    "DIAL_REQUEST_RETRY_SCHEDULED": ("campaign_id", "attempt", "retry_at", "outcome"),
    "DIAL_REQUEST_EXPIRED": ("campaign_id", "reason"),
    "DIAL_REQUEST_FAILED": ("campaign_id", "failure_code", "reason"),
    "DIAL_REQUEST_COMPLETED": ("campaign_id", "outcome", "attempts"),
    # agent
    "LOGIN": ("group", "queue_id"),
    "STATE_CHANGE": ("state", "previous", "contact_id"),
    "LOGOUT": ("group",),
    # campaign
    "CAMPAIGN_CREATED": ("name", "mode", "queue_id", "api"),
    "CAMPAIGN_STATE_CHANGED": ("state", "previous"),
    # operation: the Update* name; config: the new setting as on the wire
    "CAMPAIGN_UPDATED": ("operation", "config"),
    # dialer
    "BATCH_PUT_CONTACT_CALLED": (
        "campaign_id",
        "client_token",
        "items",
        "succeeded",
        "failed",
        "error",
        "attempt",
    ),
}

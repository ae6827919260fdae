"""Event types in Amazon Connect's vocabulary, their payloads, and the sink protocol.

Every state change in the simulator is one immutable :class:`Event`. Events
belong to a *stream* (a contact, a dial request, an agent, a campaign, or a
campaign's dialer) and carry the stream's version: 1 for the first event of a
stream, then 2, 3, ... with no gaps. The owner of a stream's state (the record
object below, or the component that owns it) keeps its version counter, so no
global map of live versions is needed.

Time is the simulated clock as POSIX seconds (float). Inside the model it is
``env.now`` of an environment started at the scenario's start instant; in the
HTTP face it is the wall clock.

Each event type has one payload type below: a ``TypedDict``, which costs
nothing at run time (a payload is a plain dict) and lets mypy check every
emitting site that annotates its literal. ``PAYLOADS`` maps each type to its
payload type and ``PAYLOAD_KEYS`` (derived from it) lists the keys in order.
Payloads are snake_case and JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, NotRequired, Protocol, TypedDict


class Event(NamedTuple):
    """One immutable state change of one stream."""

    stream_id: str
    version: int
    type: str
    time: float
    payload: Mapping[str, Any]


new_tuple = tuple.__new__
"""``new_tuple(T, values)``: an instance of the NamedTuple ``T`` without its
Python-level ``__new__`` frame, for hot paths. The only copy of this alias."""

new_event = new_tuple
"""``new_event(Event, (stream_id, version, type, time, payload))``: ``new_tuple``
for events."""


class EventSink(Protocol):
    """Where events go. ``append`` takes them in emission order."""

    def append(self, events: Sequence[Event]) -> None: ...


class ListSink:
    """A sink that keeps every event in memory (tests, small runs)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def append(self, events: Sequence[Event]) -> None:
        self.events.extend(events)


class Tee:
    """An EventSink handing every batch to each of ``sinks`` in order."""

    def __init__(self, *sinks: EventSink) -> None:
        self.sinks = sinks

    def append(self, events: Sequence[Event]) -> None:
        for sink in self.sinks:
            sink.append(events)


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
    EXPIRED = "EXPIRED"  # never dialed: expired, or its campaign stopped


# -- payloads: the contract between emitters and projections ------------------
# contact


class Initiated(TypedDict):
    campaign_id: str
    request_identifier: str | None  # the dial request id: the dialer sets it so
    instance_id: str
    queue_id: str | None
    customer_endpoint: str
    system_endpoint: str | None


class Ringing(TypedDict):
    agent_id: str | None  # the reserved agent, or None


class ConnectedToSystem(TypedDict):
    """Media established: a person or a machine answered (AMD decides later)."""


class Queued(TypedDict):
    queue_id: str | None
    amd_status: str  # the classification that sent it to the queue
    threshold_at: float  # past this instant without an agent it counts as abandoned


class ConnectedToAgent(TypedDict):
    agent_id: str


class Disconnected(TypedDict):
    disconnect_reason: str
    amd_status: str
    outcome: str
    live_person: bool | None  # who answered (the truth AMD guesses at); None: nobody


class Completed(TypedDict):
    after_contact_work_s: float


# dial request


class DialRequestAccepted(TypedDict):
    campaign_id: str
    client_token: str
    phone_number: str
    expiration_time: float
    api: str


class DialRequestRejected(TypedDict):
    campaign_id: str
    client_token: str
    failure_code: str
    reason: str


class DialRequestDialed(TypedDict):
    campaign_id: str
    contact_id: str
    attempt: int
    waited_s: float
    # Only for a campaign with calling hours (communicationTimeConfig): the
    # recipient's IANA zone(s), '|'-joined, and the seconds its contact waited
    # after creation for that zone's window to open (0 if it was open).
    time_zone: NotRequired[str]
    window_wait_s: NotRequired[float]


class DialRequestRetryScheduled(TypedDict):
    """The client will resubmit the number as a new request (its clientToken)."""

    campaign_id: str
    attempt: int
    retry_at: float
    outcome: str
    client_token: str


class DialRequestExpired(TypedDict):
    campaign_id: str
    reason: str


class DialRequestFailed(TypedDict):
    campaign_id: str
    failure_code: str
    reason: str


class DialRequestCompleted(TypedDict):
    campaign_id: str
    outcome: str
    attempts: int


# agent


class Login(TypedDict):
    group: str
    queue_id: str


class StateChange(TypedDict):
    state: str
    previous: str
    contact_id: str | None


class Logout(TypedDict):
    group: str


# campaign


class CampaignCreated(TypedDict):
    name: str
    mode: str
    queue_id: str | None
    api: str


class CampaignStateChanged(TypedDict):
    state: str
    previous: str


class CampaignUpdated(TypedDict):
    """A v2 Update* changed a planning setting of the campaign."""

    operation: str  # the Update* operation
    config: dict[str, Any]  # the new setting, as on the wire


# dialer


class BatchPutContactCalled(TypedDict):
    campaign_id: str
    client_token: str
    items: int
    succeeded: int
    failed: int
    error: str | None
    attempt: int


PAYLOADS: dict[EventType, type] = {
    EventType.INITIATED: Initiated,
    EventType.RINGING: Ringing,
    EventType.CONNECTED_TO_SYSTEM: ConnectedToSystem,
    EventType.QUEUED: Queued,
    EventType.CONNECTED_TO_AGENT: ConnectedToAgent,
    EventType.DISCONNECTED: Disconnected,
    EventType.COMPLETED: Completed,
    EventType.DIAL_REQUEST_ACCEPTED: DialRequestAccepted,
    EventType.DIAL_REQUEST_REJECTED: DialRequestRejected,
    EventType.DIAL_REQUEST_DIALED: DialRequestDialed,
    EventType.DIAL_REQUEST_RETRY_SCHEDULED: DialRequestRetryScheduled,
    EventType.DIAL_REQUEST_EXPIRED: DialRequestExpired,
    EventType.DIAL_REQUEST_FAILED: DialRequestFailed,
    EventType.DIAL_REQUEST_COMPLETED: DialRequestCompleted,
    EventType.LOGIN: Login,
    EventType.STATE_CHANGE: StateChange,
    EventType.LOGOUT: Logout,
    EventType.CAMPAIGN_CREATED: CampaignCreated,
    EventType.CAMPAIGN_STATE_CHANGED: CampaignStateChanged,
    EventType.CAMPAIGN_UPDATED: CampaignUpdated,
    EventType.BATCH_PUT_CONTACT_CALLED: BatchPutContactCalled,
}
"""The payload type of every event type."""

PAYLOAD_KEYS: dict[str, tuple[str, ...]] = {
    t.value: tuple(payload.__annotations__) for t, payload in PAYLOADS.items()
}
"""Payload keys by event type, in emission order (derived from ``PAYLOADS``)."""

_STREAMS: dict[StreamKind, tuple[EventType, ...]] = {
    StreamKind.CONTACT: (
        EventType.INITIATED,
        EventType.RINGING,
        EventType.CONNECTED_TO_SYSTEM,
        EventType.QUEUED,
        EventType.CONNECTED_TO_AGENT,
        EventType.DISCONNECTED,
        EventType.COMPLETED,
    ),
    StreamKind.DIAL_REQUEST: tuple(t for t in EventType if t.startswith("DIAL_REQUEST_")),
    StreamKind.AGENT: (EventType.LOGIN, EventType.STATE_CHANGE, EventType.LOGOUT),
    StreamKind.CAMPAIGN: (
        EventType.CAMPAIGN_CREATED,
        EventType.CAMPAIGN_STATE_CHANGED,
        EventType.CAMPAIGN_UPDATED,
    ),
    StreamKind.DIALER: (EventType.BATCH_PUT_CONTACT_CALLED,),
}
STREAM_KIND: dict[str, StreamKind] = {t.value: k for k, ts in _STREAMS.items() for t in ts}
"""The kind of stream each event type belongs to."""

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

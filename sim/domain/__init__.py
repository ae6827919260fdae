"""Pure data: events, records and vocabulary. Imports nothing from sim."""

from sim.domain.events import (
    LIVE_OUTCOMES,
    PAYLOAD_KEYS,
    STREAM_KIND,
    TERMINAL_TYPES,
    AgentState,
    Event,
    EventSink,
    EventType,
    ListSink,
    Outcome,
    StreamKind,
    Tee,
)
from sim.domain.records import DialRequest, WaitingContact

__all__ = [
    "LIVE_OUTCOMES",
    "PAYLOAD_KEYS",
    "STREAM_KIND",
    "TERMINAL_TYPES",
    "AgentState",
    "DialRequest",
    "Event",
    "EventSink",
    "EventType",
    "ListSink",
    "Outcome",
    "StreamKind",
    "Tee",
    "WaitingContact",
]

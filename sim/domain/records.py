"""Plain-data records shared by the core and the engine.

A waiting dial request is one small slotted object, never a SimPy process, so
a million waiting requests cost memory, not scheduler time.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, eq=False)
class DialRequest:
    """An accepted dial request in a campaign's buffer.

    ``version`` is the version of the last event emitted on this request's
    stream; whoever emits the next event increments it first.
    """

    id: str
    campaign_id: str
    client_token: str
    phone_number: str
    expiration: float  # POSIX seconds on the simulated clock
    accepted_at: float
    version: int
    attributes: dict[str, str] = field(default_factory=dict)
    api: str = "v1"  # "v1" PutDialRequestBatch, "v2" PutOutboundRequestBatch
    source_phone_number: str | None = None
    amd_enabled: bool | None = None
    ring_timeout: float | None = None
    attempts: int = 0
    retry_at: float = 0.0  # when the current redial attempt re-entered the buffer
    done: bool = False  # taken, expired or otherwise out of the buffer

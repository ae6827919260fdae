"""Plain-data records shared by the core and the engine.

An accepted dial request waits for its contact as one small slotted object;
a created contact waits for its dial as columns of a compact queue, handed
out as a ``WaitingContact`` tuple. Neither is ever a SimPy process, so a
million waiting requests cost memory, not scheduler time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple


@dataclass(slots=True, eq=False)
class DialRequest:
    """An accepted dial request, until BatchPutContact has created its contact.

    ``version`` is the version of the last event emitted on this request's
    stream; whoever emits the next event increments it first. The optional
    members are the v2 per-request overrides of the campaign's telephony
    settings (None: the campaign's).
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
    await_prompt: bool | None = None
    done: bool = False  # ingested, expired or otherwise out of the buffer


class WaitingContact(NamedTuple):
    """A created contact taken from its campaign's queue to be dialed.

    Its contact stream stands at version 1 (INITIATED) and its dial request's
    at version 1 (DIAL_REQUEST_ACCEPTED).
    """

    contact_id: str
    request_id: str
    campaign_id: str
    phone_number: str
    accepted_at: float
    created_at: float
    expiration: float
    attributes: dict[str, str] | None
    ring_timeout: float | None
    amd_enabled: bool | None
    await_prompt: bool | None
    # Set only when the campaign has calling hours: the recipient's zone(s),
    # '|'-joined, and how long it waited for its zone to open after creation.
    time_zone: str | None = None
    window_wait_s: float = 0.0

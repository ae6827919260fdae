"""The dial-request lifecycle in the engine: ending requests, the expiry sweep.

``RequestLifecycle`` ends the requests the engine holds with their terminal
event (EXPIRED or FAILED while their contact is being created, COMPLETED once
their dialed contact is), and runs the expiry sweep over the core's waiting
contacts: one timer for the earliest expiration, never one per contact.
``wake(campaign_id)`` tells a campaign's ingestor that requests arrived;
``idle()`` tells the model that something was released, so it can check
whether the run is over.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.connect import OutboundCore
from sim.domain import DialRequest, EventType
from sim.domain.events import DialRequestCompleted, DialRequestExpired, DialRequestFailed
from sim.engine.call import Call
from sim.engine.clock import Clock, Emitter

_COMPLETED = EventType.DIAL_REQUEST_COMPLETED.value  # plain str on the hot path


class RequestLifecycle:
    """Terminal events of dial requests, and the expiry sweep of waiting contacts."""

    def __init__(
        self,
        clock: Clock,
        emitter: Emitter,
        core: OutboundCore,
        end_ts: float,
        wake: Callable[[str], None],
        idle: Callable[[], None],
    ) -> None:
        self.clock = clock
        self.emitter = emitter
        self.core = core
        self.end_ts = end_ts
        self._wake = wake
        self._idle = idle
        self._expiry_at = math.inf
        self._expiry_gen = 0

    # -- arrivals -------------------------------------------------------------

    def accepted(self, campaign_id: str, _expires: float = math.inf) -> None:
        """Requests entered a campaign's buffer: its contacts are to be created."""
        self._wake(campaign_id)

    # -- ending ---------------------------------------------------------------

    def expired(self, request: DialRequest, reason: str) -> None:
        """End a request whose contact was never created EXPIRED (``reason``:
        expired, campaign_stopped)."""
        payload: DialRequestExpired = {"campaign_id": request.campaign_id, "reason": reason}
        self._end(request, EventType.DIAL_REQUEST_EXPIRED, payload)

    def failed(self, request: DialRequest, code: str, reason: str) -> None:
        """End a request FAILED: BatchPutContact refused it for good."""
        payload: DialRequestFailed = {
            "campaign_id": request.campaign_id,
            "failure_code": code,
            "reason": reason,
        }
        self._end(request, EventType.DIAL_REQUEST_FAILED, payload)

    def _end(
        self,
        request: DialRequest,
        type_: EventType,
        payload: DialRequestExpired | DialRequestFailed,
    ) -> None:
        request.done = True
        self.emitter.emit_next(request, request.id, type_, self.clock.now, payload)
        self._idle()

    def completed(self, call: Call) -> None:
        """The dialed contact of a request is COMPLETED: so is the request."""
        payload: DialRequestCompleted = {
            "campaign_id": call.runtime.id,
            "outcome": call.outcome or "",
            "attempts": call.attempt,
        }
        call.request_version += 1
        self.emitter.emit(
            call.contact.request_id,
            call.request_version,
            _COMPLETED,
            self.clock.now,
            payload,
        )
        self._idle()

    # -- expiry ---------------------------------------------------------------

    def watch_expiry(self) -> None:
        """Make sure the sweep runs at the earliest expiration of waiting contacts."""
        when = self.core.next_expiration()
        if when is None or when >= self._expiry_at:
            return
        self._expiry_at = when
        self._expiry_gen += 1
        self.clock.call_at(when, self._expire, self._expiry_gen)

    def _expire(self, generation: int) -> None:
        if generation != self._expiry_gen:
            return
        self._expiry_at = math.inf
        now = self.clock.now
        if now < self.end_ts:
            self.core.expire_due(now)
            self.watch_expiry()
        self._idle()

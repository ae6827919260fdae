"""The dial-request lifecycle in the engine: ending, redialing, expiring.

``RequestLifecycle`` ends the requests the engine holds with their terminal
event, schedules redials by the campaign's redial policy, and runs the expiry
sweep over the core's buffers (one timer for the earliest expiration, never
one per request). ``wake(campaign_id)`` tells a campaign's dialer that
requests arrived; ``idle()`` tells the model that something was released, so
it can check whether the run is over.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.connect import OutboundCore
from sim.domain import DialRequest, EventType
from sim.domain.events import (
    DialRequestCompleted,
    DialRequestExpired,
    DialRequestFailed,
    DialRequestRetryScheduled,
)
from sim.engine.clock import Clock, Emitter
from sim.scenario import RedialPolicy


class RequestLifecycle:
    """Terminal events, redials and the expiry sweep of dial requests."""

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
        self.retries_waiting = 0  # redials scheduled and not yet due
        self.parked_at_end = 0  # redials that fell due after the horizon
        self._expiry_at = math.inf
        self._expiry_gen = 0

    # -- arrivals -------------------------------------------------------------

    def accepted(self, campaign_id: str, expires: float) -> None:
        """Requests entered a campaign's buffer: watch their expiry, wake the dialer."""
        if expires < self._expiry_at:
            self.watch_expiry()
        self._wake(campaign_id)

    # -- ending ---------------------------------------------------------------

    def expired(self, request: DialRequest, reason: str) -> None:
        """End a request the engine holds EXPIRED (``reason``: expired, campaign_stopped)."""
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
        payload: DialRequestExpired | DialRequestFailed | DialRequestCompleted,
    ) -> None:
        request.done = True
        self.emitter.emit_next(request, request.id, type_, self.clock.now, payload)
        self._idle()

    # -- after an attempt -----------------------------------------------------

    def attempt_over(self, request: DialRequest, redial: RedialPolicy, outcome: str) -> None:
        """A dial attempt's contact is COMPLETED: redial, or end the request."""
        if outcome in redial.on and request.attempts < redial.max_attempts:
            now = self.clock.now
            retry_at = now + redial.delay
            payload: DialRequestRetryScheduled = {
                "campaign_id": request.campaign_id,
                "attempt": request.attempts + 1,
                "retry_at": retry_at,
                "outcome": outcome,
            }
            self.emitter.emit_next(
                request, request.id, EventType.DIAL_REQUEST_RETRY_SCHEDULED, now, payload
            )
            self.retries_waiting += 1
            self.clock.call_at(retry_at, self._redial, request)
            # After the horizon this may have been the last call in progress.
            self._idle()
            return
        completed: DialRequestCompleted = {
            "campaign_id": request.campaign_id,
            "outcome": outcome,
            "attempts": request.attempts,
        }
        self._end(request, EventType.DIAL_REQUEST_COMPLETED, completed)

    def _redial(self, request: DialRequest) -> None:
        self.retries_waiting -= 1
        now = self.clock.now
        if now >= self.end_ts:
            self.parked_at_end += 1  # stays pending: counted in pending_at_end
            self._idle()
            return
        request.retry_at = now
        self.core.requeue(request, now)
        self.accepted(request.campaign_id, request.expiration)
        self._idle()

    # -- expiry ---------------------------------------------------------------

    def watch_expiry(self) -> None:
        """Make sure the sweep runs at the earliest expiration in the buffers."""
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

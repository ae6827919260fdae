"""A campaign's ingestion: BatchPutContact creates a contact per accepted request.

As the BatchPutContact reference describes it, the campaign ingests dial
requests (PutDialRequestBatch / PutOutboundRequestBatch), then creates their
contacts with BatchPutContact, and dials them later. Batching rules (pinned
by tests/engine/test_batching.py):

- The ingestor wakes when requests are accepted; wakes within one instant
  coalesce, so what arrived together is created together.
- It calls BatchPutContact at most ``calls_per_second`` times a second
  (the quota's rate by default); requests accepted in between wait for the
  next call, so calls grow toward 25 items under load.
- Each call takes at most 25 requests, in arrival (FIFO) order, and carries
  a ClientToken ``<campaign>-<n>`` unique within the run.
- A whole-call failure that is retryable (throttling, an injected 5xx) is
  retried with backoff and the *same* ClientToken and items; the idempotent
  core guarantees a retry never makes a second contact.
- An item that fails with INTERNAL_ERROR goes into the next call (a new
  ClientToken: the old one would replay the same refusal) with its
  RequestIdentifier unchanged; REQUEST_THROTTLED (the campaign no longer
  accepts requests) ends the request EXPIRED (campaign_stopped); any other
  item failure ends it DIAL_REQUEST_FAILED with its code. Nothing is dropped.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any

from sim.connect import OutboundCore, ServiceError
from sim.domain import DialRequest, EventType
from sim.domain.events import BatchPutContactCalled
from sim.engine.api import RETRYABLE, ApiClient, backoff
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.requests import RequestLifecycle

MAX_ITEMS = 25
RETRY_ITEM_CODES = frozenset({"INTERNAL_ERROR"})
STOPPED_ITEM_CODES = frozenset({"REQUEST_THROTTLED"})
ACCEPTING = frozenset({"Running", "Paused"})
_BPC_CALLED = EventType.BATCH_PUT_CONTACT_CALLED.value  # plain str on the hot path


class PendingCall:
    """One BatchPutContact call in flight: its token and requests."""

    __slots__ = ("attempt", "requests", "token")

    def __init__(self, token: str, requests: list[DialRequest]):
        self.token = token
        self.requests = requests
        self.attempt = 0


class Ingestor:
    """Creates a campaign's contacts in batches, as its requests arrive.

    ``created()`` tells the campaign's dialer that contacts wait; ``idle()``
    tells the model that requests it held were let go.
    """

    def __init__(
        self,
        runtime: CampaignRuntime,
        *,
        clock: Clock,
        emitter: Emitter,
        core: OutboundCore,
        api: ApiClient,
        rng: random.Random,
        requests: RequestLifecycle,
        created: Callable[[], None],
        idle: Callable[[], None],
        instance_id: str,
        calls_per_second: float,
        end_ts: float,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.emitter = emitter
        self.core = core
        self.api = api
        self.rng = rng
        self.requests = requests
        self._created = created
        self._idle = idle
        self.instance_id = instance_id
        self.end_ts = end_ts
        self.campaign_id = runtime.id
        self.stream = f"dialer:{runtime.id}"
        self.version = 0
        self.calls = 0
        self.min_gap = 1.0 / calls_per_second
        self.next_call_at = -1.0
        self.scheduled = False
        self.stopped = False  # its campaign was deleted: nothing more is created
        self.carry: deque[DialRequest] = deque()  # item retries, sent first
        self.in_call = 0  # requests held by calls in flight
        # Preview campaigns create agent-first contacts, as the real dialer does.
        self.strategy: dict[str, Any] | None = None
        if runtime.preview is not None:
            preview = {
                "PostAcceptTimeoutConfig": {"DurationInSeconds": int(runtime.preview.timeout)},
                "AllowedUserActions": ["CALL", "DISCARD"],
            }
            self.strategy = {"Type": "AGENT_FIRST", "Config": {"AgentFirst": {"Preview": preview}}}

    # -- waking ---------------------------------------------------------------

    def kick(self, _arg: Any = None) -> None:
        """Requests arrived (or carried items wait): create contacts, once per instant."""
        if not self.scheduled:
            self.scheduled = True
            self.clock.call_at(max(self.clock.now, self.next_call_at), self._ingest)

    def _ingest(self, _arg: Any = None) -> None:
        self.scheduled = False
        now = self.clock.now
        if self.stopped or now >= self.end_ts:
            return
        requests = self._take(now)
        if not requests:
            return
        self.calls += 1
        call = PendingCall(f"{self.campaign_id}-{self.calls}", requests)
        self.in_call += len(requests)
        self.next_call_at = now + self.min_gap
        self._send(call)
        if self.carry or self.core.arriving_count(self.campaign_id):
            self.kick()  # more than one call could take: the next slot

    def _take(self, now: float) -> list[DialRequest]:
        taken: list[DialRequest] = []
        carry = self.carry
        while carry and len(taken) < MAX_ITEMS:
            request = carry.popleft()
            if request.expiration <= now:
                self._end_expired(request, "expired")
            else:
                taken.append(request)
        if len(taken) < MAX_ITEMS:
            taken += self.core.take_arriving(self.campaign_id, MAX_ITEMS - len(taken), now)
        return taken

    # -- calling the core -----------------------------------------------------

    def _send(self, call: PendingCall) -> None:
        now = self.clock.now
        call.attempt += 1
        result = self.api.call("connect", "BatchPutContact", self._request(call), now)
        if isinstance(result, ServiceError):
            self._record(call, 0, 0, result.code)
            if result.code in RETRYABLE:
                self.clock.call_in(backoff(self.rng, call.attempt), self._resend, call)
                return
            self.in_call -= len(call.requests)
            for request in call.requests:
                self._end_failed(request, result.code, result.message)
            return
        successes = result["SuccessfulRequestList"]
        failures = result["FailedRequestList"]
        self._record(call, len(successes), len(failures), None)
        self.in_call -= len(call.requests)
        by_id = {r.id: r for r in call.requests}
        created = [(by_id[item["RequestIdentifier"]], item["ContactId"]) for item in successes]
        if created:
            self.core.contacts_created(self.campaign_id, created, now)
        for item in failures:
            request = by_id[item["RequestIdentifier"]]
            code = item.get("FailureReasonCode", "INTERNAL_ERROR")
            if code in RETRY_ITEM_CODES:
                self.carry.append(request)
            elif code in STOPPED_ITEM_CODES:
                self._end_expired(request, "campaign_stopped")
            else:
                self._end_failed(request, code, item.get("FailureReasonMessage", code))
        if self.carry:
            if not self._accepting():
                self.drop_carry("campaign_stopped")
            else:
                self.kick()
        if created:
            self._created()

    def _accepting(self) -> bool:
        return self.core.campaign_state(self.campaign_id) in ACCEPTING

    def _resend(self, call: PendingCall) -> None:
        if self.stopped:  # the campaign was deleted while the call backed off
            self.in_call -= len(call.requests)
            for request in call.requests:
                self._end_expired(request, "campaign_stopped")
            return
        if self.clock.now >= self.end_ts:
            # The horizon came while the call was backing off: nothing more is
            # created; its requests stay pending (carried) at the end of the run.
            self.in_call -= len(call.requests)
            self.carry.extend(call.requests)
            self._idle()
            return
        self._send(call)

    def stop(self) -> None:
        """The campaign was deleted: end what is carried, create nothing more."""
        self.stopped = True
        self.drop_carry("campaign_stopped")

    def drop_carry(self, reason: str) -> None:
        """End every carried request EXPIRED (the campaign was stopped)."""
        carry, self.carry = self.carry, deque()
        for request in carry:
            self._end_expired(request, reason)

    def _end_expired(self, request: DialRequest, reason: str) -> None:
        self.core.ingestion_ended(self.campaign_id, 1)
        self.requests.expired(request, reason)

    def _end_failed(self, request: DialRequest, code: str, message: str) -> None:
        self.core.ingestion_ended(self.campaign_id, 1)
        self.requests.failed(request, code, message)

    def _record(self, call: PendingCall, ok: int, failed: int, error: str | None) -> None:
        payload: BatchPutContactCalled = {
            "campaign_id": self.campaign_id,
            "client_token": call.token,
            "items": len(call.requests),
            "succeeded": ok,
            "failed": failed,
            "error": error,
            "attempt": call.attempt,
        }
        self.emitter.emit_next(self, self.stream, _BPC_CALLED, self.clock.now, payload)

    def _request(self, call: PendingCall) -> dict[str, Any]:
        runtime = self.runtime
        items = []
        for request in call.requests:
            item: dict[str, Any] = {
                "RequestIdentifier": request.id,
                "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": request.phone_number},
                "SystemEndpoint": {
                    "Type": "TELEPHONE_NUMBER",
                    "Address": request.source_phone_number or runtime.source_phone_number,
                },
                "Campaign": {"CampaignId": self.campaign_id},
            }
            if runtime.queue_id is not None:
                item["QueueId"] = runtime.queue_id
            if request.attributes:
                item["Attributes"] = request.attributes
            if self.strategy is not None:
                item["OutboundStrategy"] = self.strategy
            items.append(item)
        return {
            "InstanceId": self.instance_id,
            "ClientToken": call.token,
            "ContactDataRequestList": items,
        }

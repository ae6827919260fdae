"""A campaign's dialer: pacing, batching into BatchPutContact, retries.

Batching rules (pinned by tests/engine/test_batching.py):

- A dialer wakes whenever something it depends on changes (an agent frees, a
  line frees, requests arrive, the campaign resumes); wakes within one instant
  coalesce into one pacing decision.
- It calls BatchPutContact at most ``dialer_calls_per_second`` times a
  second; requests wanting a dial in between wait for the next call, so calls
  grow toward 25 items under load.
- Each call takes at most 25 requests, in buffer (FIFO) order, and carries
  a ClientToken ``<campaign>-<n>`` unique within the run.
- A whole-call failure that is retryable (throttling, injected 5xx) is
  retried with backoff and the *same* ClientToken and items; the idempotent
  core guarantees a retry never makes a second contact.
- Items that fail with REQUEST_THROTTLED or INTERNAL_ERROR go first into the
  next call (a new ClientToken: the old one would replay the same refusal),
  with their RequestIdentifier unchanged. Other item failures end the
  request as DIAL_REQUEST_FAILED with the failure code. Nothing is dropped.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from typing import Any

from sim.connect import OutboundCore, ServiceError
from sim.domain import DialRequest, EventType
from sim.domain.events import BatchPutContactCalled
from sim.engine.agents import Agent
from sim.engine.api import RETRYABLE, ApiClient, backoff
from sim.engine.campaigns import CampaignRuntime
from sim.engine.clock import Clock, Emitter
from sim.engine.pacing import Pacer
from sim.engine.requests import RequestLifecycle

MAX_ITEMS = 25
RETRY_ITEM_CODES = frozenset({"REQUEST_THROTTLED", "INTERNAL_ERROR"})

Start = Callable[[CampaignRuntime, DialRequest, str, Agent | None], None]


class PendingCall:
    """One BatchPutContact call in flight: its token, requests and held agents."""

    __slots__ = ("agents", "attempt", "requests", "token")

    def __init__(self, token: str, requests: list[DialRequest], agents: list[Agent | None]):
        self.token = token
        self.requests = requests
        self.agents = agents
        self.attempt = 0


class Dialer:
    """Turns buffered dial requests into contacts and dials, paced by a Pacer.

    It takes requests from the core's buffer, creates their contacts through
    ``api`` (BatchPutContact, as the campaigns principal), and hands each
    created contact to ``start`` (the telephony) with the agent it holds.
    ``idle()`` tells the model that requests it held were let go.
    """

    def __init__(
        self,
        runtime: CampaignRuntime,
        pacer: Pacer,
        *,
        clock: Clock,
        emitter: Emitter,
        core: OutboundCore,
        api: ApiClient,
        rng: random.Random,
        requests: RequestLifecycle,
        start: Start,
        idle: Callable[[], None],
        instance_id: str,
        calls_per_second: float,
        end_ts: float,
    ) -> None:
        self.runtime = runtime
        self.pacer = pacer
        self.clock = clock
        self.emitter = emitter
        self.core = core
        self.api = api
        self.rng = rng
        self.requests = requests
        self._start = start
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
        self.carry: deque[DialRequest] = deque()  # item retries, dialed first
        # Preview campaigns create agent-first contacts, as the real dialer does.
        self.strategy: dict[str, Any] | None = None
        if runtime.preview is not None:
            preview = {
                "PostAcceptTimeoutConfig": {"DurationInSeconds": int(runtime.preview.timeout)},
                "AllowedUserActions": ["CALL", "DISCARD"],
            }
            self.strategy = {"Type": "AGENT_FIRST", "Config": {"AgentFirst": {"Preview": preview}}}
        self.in_call = 0  # requests held by calls in flight

    # -- waking ---------------------------------------------------------------

    def kick(self, _arg: Any = None) -> None:
        """Something changed: decide again, once per instant."""
        if not self.scheduled:
            self.scheduled = True
            self.clock.call_in(0.0, self._pace)

    def _pace(self, _arg: Any = None) -> None:
        self.scheduled = False
        now = self.clock.now
        if not self.runtime.running or now >= self.end_ts:
            return
        if not self.carry and self.core.pending_count(self.campaign_id) == 0:
            return
        if now < self.next_call_at:
            self.scheduled = True
            self.clock.call_at(self.next_call_at, self._pace)
            return
        wanted = min(self.pacer.capacity(), MAX_ITEMS)
        if wanted <= 0:
            return
        requests = self._take(wanted, now)
        if not requests:
            return
        agents = self.pacer.claim(len(requests))
        self.calls += 1
        call = PendingCall(f"{self.campaign_id}-{self.calls}", requests, agents)
        self.in_call += len(requests)
        self.next_call_at = now + self.min_gap
        self._send(call)
        # More may be wanted than one call could take: look again next slot.
        self.kick()

    def _take(self, wanted: int, now: float) -> list[DialRequest]:
        taken: list[DialRequest] = []
        carry = self.carry
        while carry and len(taken) < wanted:
            request = carry.popleft()
            if request.expiration <= now:
                self.requests.expired(request, "expired")
            else:
                taken.append(request)
        if len(taken) < wanted:
            taken.extend(self.core.take_dial_requests(self.campaign_id, wanted - len(taken), now))
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
            self._fail_all(call, result.code, result.message)
            return
        successes = result["SuccessfulRequestList"]
        failures = result["FailedRequestList"]
        self._record(call, len(successes), len(failures), None)
        self.in_call -= len(call.requests)
        by_id = {r.id: (r, a) for r, a in zip(call.requests, call.agents, strict=True)}
        for item in successes:
            request, agent = by_id[item["RequestIdentifier"]]
            self._start(self.runtime, request, item["ContactId"], agent)
        for item in failures:
            request, agent = by_id[item["RequestIdentifier"]]
            self.pacer.unclaim(agent)
            code = item.get("FailureReasonCode", "INTERNAL_ERROR")
            if code in RETRY_ITEM_CODES:
                self.carry.append(request)
            else:
                self.requests.failed(request, code, item.get("FailureReasonMessage", code))
        if failures:
            if self.core.campaign(self.campaign_id).state == "Stopped":
                self.drop_carry("campaign_stopped")
            self.kick()

    def _resend(self, call: PendingCall) -> None:
        if self.clock.now >= self.end_ts:
            # The horizon came while the call was backing off: nothing more is
            # dialed; its requests stay pending (carried) at the end of the run.
            self.in_call -= len(call.requests)
            for request, agent in zip(call.requests, call.agents, strict=True):
                self.pacer.unclaim(agent)
                self.carry.append(request)
            self._idle()
            return
        self._send(call)

    def drop_carry(self, reason: str) -> None:
        """End every carried request EXPIRED (the campaign was stopped)."""
        carry, self.carry = self.carry, deque()
        for request in carry:
            self.requests.expired(request, reason)

    def _fail_all(self, call: PendingCall, code: str, message: str) -> None:
        self.in_call -= len(call.requests)
        for request, agent in zip(call.requests, call.agents, strict=True):
            self.pacer.unclaim(agent)
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
        self.emitter.emit_next(
            self, self.stream, EventType.BATCH_PUT_CONTACT_CALLED, self.clock.now, payload
        )

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

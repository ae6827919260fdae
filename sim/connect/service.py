"""OutboundCore: the wire entry point ``call`` and the engine's typed fast path.

Order of checks for every operation (as AWS front ends do it): unknown
operation -> authentication -> throttling -> shape validation -> resource
lookup -> state -> injected request fault -> idempotent replay -> work.
A throttled call consumes nothing; any call let through the bucket spends a
token, whatever its outcome.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from sim.connect.buffer import REASON_EXPIRED, REASON_STOPPED, Buffers, CampaignBuffer, expire
from sim.connect.campaigns import (
    ACCEPTING,
    STOPPED,
    TRANSITIONS,
    Campaign,
    campaign_arn,
    describe,
    from_v1,
    from_v2,
    resource_errors,
    transition,
)
from sim.connect.config import CoreConfig
from sim.connect.contacts import Answer, ContactFactory, parse, replay
from sim.connect.dialrequests import DialRequestIntake, Intake
from sim.connect.errors import (
    CAMPAIGNS_V1,
    CAMPAIGNS_V2,
    CONNECT,
    ServiceError,
    from_validation_error,
    internal_error,
    not_found,
    throttling_error,
    validation_error,
)
from sim.connect.idempotency import IdempotencyStore, request_digest
from sim.connect.ids import new_uuid
from sim.connect.models_campaign import (
    CAMPAIGN_ID_V1,
    CREATE_CAMPAIGN_V1,
    GET_CAMPAIGN_STATE_BATCH,
    PUT_DIAL_REQUEST_BATCH,
)
from sim.connect.models_campaign_v2 import (
    CAMPAIGN_ID_V2,
    CREATE_CAMPAIGN_V2,
    PUT_OUTBOUND_REQUEST_BATCH,
)
from sim.connect.throttle import TokenBucket
from sim.domain import DialRequest, Event, EventSink

_API = {CAMPAIGNS_V1: "v1", CAMPAIGNS_V2: "v2"}
_SERVICE = {"v1": CAMPAIGNS_V1, "v2": CAMPAIGNS_V2}
_ID_ADAPTER: dict[str, TypeAdapter[Any]] = {
    CAMPAIGNS_V1: CAMPAIGN_ID_V1,
    CAMPAIGNS_V2: CAMPAIGN_ID_V2,
}

Handler = Callable[[str, str, Mapping[str, Any], str, float], dict[str, Any]]


def _validate(adapter: TypeAdapter[Any], service: str, request: Mapping[str, Any]) -> Any:
    try:
        return adapter.validate_python(request)
    except ValidationError as exc:
        raise from_validation_error(service, exc) from None


class OutboundCore:
    """Amazon Connect's BatchPutContact plus outbound campaigns v1 and v2.

    Knows nothing of SimPy or SQL: every call takes ``now`` (POSIX seconds)
    from its caller; all randomness comes from ``rng``; every state change is
    appended to ``sink`` as events.
    """

    def __init__(self, config: CoreConfig, rng: random.Random, sink: EventSink) -> None:
        self.config = config
        self.rng = rng
        self.sink = sink
        self._campaigns: dict[str, Campaign] = {}
        self._buffers = Buffers()
        self._tokens = IdempotencyStore(config.idempotency_retention_s)
        self._contacts = ContactFactory(config, rng, self._campaigns)
        self._intake = DialRequestIntake(config, rng)
        self._buckets = {
            name: TokenBucket(getattr(config.quotas, name))
            for name in type(config.quotas).model_fields
        }
        self._request_fault = config.faults.request_error_probability
        control: Handler = self._control
        self._ops: dict[tuple[str, str], Handler] = {(CONNECT, "BatchPutContact"): self._bpc}
        for svc in (CAMPAIGNS_V1, CAMPAIGNS_V2):
            self._ops.update({
                (svc, "CreateCampaign"): self._create,
                (svc, "DescribeCampaign"): self._describe,
                (svc, "GetCampaignState"): self._get_state,
                (svc, "DeleteCampaign"): self._delete,
                **{(svc, op): control for op in TRANSITIONS},
            })  # fmt: skip
        self._ops[(CAMPAIGNS_V1, "GetCampaignStateBatch")] = self._get_state_batch
        self._ops[(CAMPAIGNS_V1, "PutDialRequestBatch")] = self._put_requests
        self._ops[(CAMPAIGNS_V2, "PutOutboundRequestBatch")] = self._put_requests

    # -- the wire entry point ----------------------------------------------------

    def call(
        self, service: str, operation: str, request: Mapping[str, Any], *, caller: str, now: float
    ) -> dict[str, Any]:
        """Run one operation on its wire JSON request; the wire JSON response.

        Raises ServiceError with the AWS error type; an unknown service or
        operation is UnknownOperationException (404).
        """
        handler = self._ops.get((service, operation))
        if handler is None:
            raise ServiceError(
                "UnknownOperationException",
                f"{service} has no operation {operation} in this simulator",
                service=service,
            )
        if not isinstance(request, Mapping):
            raise validation_error(service, "(request): must be a JSON object")
        return handler(service, operation, request, caller, now)

    def _throttle(self, bucket: str, service: str, operation: str, now: float) -> None:
        if not self._buckets[bucket].try_take(now):
            raise throttling_error(service, operation)

    def _fault(self, service: str) -> None:
        if self._request_fault and self.rng.random() < self._request_fault:
            raise internal_error(service)

    # -- BatchPutContact -----------------------------------------------------------

    def _bpc(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        if caller != self.config.campaigns_principal:
            raise ServiceError("AccessDeniedException", f"{caller!r} may not call BatchPutContact")
        self._throttle("batch_put_contact", service, operation, now)
        batch = parse(request)
        if batch.instance_id != self.config.instance_id:
            raise not_found(service, f"instance {batch.instance_id!r}")
        self._fault(service)
        token, digest = batch.client_token, b""
        if token:
            digest = request_digest(request)
            seen = self._tokens.lookup(token, now)
            if seen is not None:
                if seen.digest != digest:
                    raise ServiceError(
                        "IdempotencyException", f"ClientToken {token!r} used with another request"
                    )
                return replay(batch, Answer(seen.contact_ids, seen.failures))
        response, events, answer = self._contacts.build(batch, now)
        # Commit: events first, then the token, so a failing sink records nothing.
        if events:
            self.sink.append(events)
        if token:
            self._tokens.record(token, digest, answer.contact_ids, answer.failures, now)
        return response

    # -- campaigns -------------------------------------------------------------------

    def _lookup(self, service: str, campaign_id: str) -> Campaign:
        c = self._campaigns.get(campaign_id)
        if c is None or _SERVICE[c.api] != service:
            raise not_found(service, f"campaign {campaign_id!r}")
        return c

    def _create(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        self._throttle("campaign_control", service, operation, now)
        cid = self.create_campaign(request, api=_API[service], now=now)
        c = self._campaigns[cid]
        out: dict[str, Any] = {"id": cid, "arn": c.arn}
        if "tags" in c.wire:
            out["tags"] = c.wire["tags"]
        return out

    def _describe(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        self._throttle("describe_campaign", service, operation, now)
        req = _validate(_ID_ADAPTER[service], service, request)
        return describe(self._lookup(service, req.id))

    def _get_state(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        self._throttle("get_campaign_state", service, operation, now)
        req = _validate(_ID_ADAPTER[service], service, request)
        return {"state": self._lookup(service, req.id).state}

    def _get_state_batch(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        self._throttle("get_campaign_state", service, operation, now)
        req = _validate(GET_CAMPAIGN_STATE_BATCH, service, request)
        ok, failed = [], []
        for cid in req.campaignIds:
            c = self._campaigns.get(cid)
            if c is None or c.api != "v1":
                failed.append({"campaignId": cid, "failureCode": "ResourceNotFound"})
            else:
                ok.append({"campaignId": cid, "state": c.state})
        return {"successfulRequests": ok, "failedRequests": failed}

    def _control(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        self._throttle("campaign_control", service, operation, now)
        req = _validate(_ID_ADAPTER[service], service, request)
        self._transition(self._lookup(service, req.id), operation, now)
        return {}

    def _transition(self, c: Campaign, operation: str, now: float) -> None:
        events = [transition(c, operation, _SERVICE[c.api], now)]
        if c.state == STOPPED:
            events += self._buffers.drain(c.id, now, REASON_STOPPED)
        self.sink.append(events)

    def _delete(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        # DeleteCampaign has no InvalidCampaignStateException in either model:
        # deleting a running or paused campaign stops it first.
        self._throttle("campaign_control", service, operation, now)
        req = _validate(_ID_ADAPTER[service], service, request)
        c = self._lookup(service, req.id)
        if c.state in TRANSITIONS["StopCampaign"][0]:
            self._transition(c, "StopCampaign", now)
        del self._campaigns[c.id]
        del self._buffers.by_campaign[c.id]
        return {}

    # -- dial requests ---------------------------------------------------------------

    def _put_requests(
        self, service: str, operation: str, request: Mapping[str, Any], caller: str, now: float
    ) -> dict[str, Any]:
        v1 = service == CAMPAIGNS_V1
        quota = "put_dial_request_batch" if v1 else "put_outbound_request_batch"
        self._throttle(quota, service, operation, now)
        req = _validate(
            PUT_DIAL_REQUEST_BATCH if v1 else PUT_OUTBOUND_REQUEST_BATCH, service, request
        )
        c = self._lookup(service, req.id)
        if c.state not in ACCEPTING:
            raise ServiceError(
                "InvalidCampaignStateException",
                f"campaign is {c.state}; dial requests need Running or Paused",
                extra={"state": c.state},
                service=service,
            )
        self._fault(service)
        buf = self._buffers.by_campaign[c.id]
        if v1:
            intake = self._intake.build_v1(c, buf, req.dialRequests, now)
        else:
            intake = self._intake.build_v2(c, buf, req.outboundRequests, now)
        self._commit_intake(buf, intake, now)
        return intake.response

    def _commit_intake(self, buf: CampaignBuffer, intake: Intake, now: float) -> None:
        if intake.events:
            self.sink.append(intake.events)
        self._buffers.push(buf, intake.accepted)
        buf.prune_tokens(now)
        forget = now + self.config.idempotency_retention_s
        remember = buf.remember_token
        for r in intake.accepted:
            if r.client_token:
                remember(r.client_token, r.id, forget)

    # -- typed helpers for the engine (no throttling, same events) -------------------

    def create_campaign(
        self, request: Mapping[str, Any], *, api: str, now: float, campaign_id: str | None = None
    ) -> str:
        """Create a campaign from its wire CreateCampaign request of ``api`` ("v1"/"v2").

        Returns its id (an RNG UUID unless ``campaign_id`` is given). Raises
        ValidationException (shape, or a queue / number / flow the instance
        lacks), ResourceNotFoundException (other instance),
        ServiceQuotaExceededException (max_campaigns), ConflictException (id taken).
        """
        service = _SERVICE[api]
        v1 = api == "v1"
        req = _validate(CREATE_CAMPAIGN_V1 if v1 else CREATE_CAMPAIGN_V2, service, request)
        if req.connectInstanceId != self.config.instance_id:
            raise not_found(service, f"instance {req.connectInstanceId!r}")
        if len(self._campaigns) >= self.config.max_campaigns:
            raise ServiceError(
                "ServiceQuotaExceededException", "too many campaigns", service=service
            )
        if campaign_id is not None and campaign_id in self._campaigns:
            raise ServiceError(
                "ConflictException", f"campaign {campaign_id!r} exists", service=service
            )
        c = Campaign("", api, req.name, "", now)
        (from_v1 if v1 else from_v2)(req, c)
        errors = resource_errors(self.config, c)
        if errors:
            raise validation_error(service, "; ".join(errors))
        c.id = campaign_id if campaign_id is not None else new_uuid(self.rng)
        c.arn = campaign_arn(self.config, c.id)
        payload = {"name": c.name, "mode": c.mode, "queue_id": c.queue_id, "api": api}
        self.sink.append([c.event("CAMPAIGN_CREATED", now, payload)])
        self._campaigns[c.id] = c
        self._buffers.add_campaign(c.id)
        return c.id

    def campaign(self, campaign_id: str) -> Campaign:
        """The live view of a campaign; ResourceNotFoundException if unknown."""
        c = self._campaigns.get(campaign_id)
        if c is None:
            raise not_found(CAMPAIGNS_V1, f"campaign {campaign_id!r}")
        return c

    def campaigns(self) -> list[Campaign]:
        """All campaigns, in creation order."""
        return list(self._campaigns.values())

    def start_campaign(self, campaign_id: str, now: float) -> None:
        """StartCampaign without throttling (InvalidCampaignStateException if not allowed)."""
        self._transition(self.campaign(campaign_id), "StartCampaign", now)

    def pause_campaign(self, campaign_id: str, now: float) -> None:
        """PauseCampaign without throttling."""
        self._transition(self.campaign(campaign_id), "PauseCampaign", now)

    def resume_campaign(self, campaign_id: str, now: float) -> None:
        """ResumeCampaign without throttling."""
        self._transition(self.campaign(campaign_id), "ResumeCampaign", now)

    def stop_campaign(self, campaign_id: str, now: float) -> None:
        """StopCampaign without throttling; the buffer ends EXPIRED (campaign_stopped)."""
        self._transition(self.campaign(campaign_id), "StopCampaign", now)

    def _buffer(self, campaign_id: str) -> CampaignBuffer:
        buf = self._buffers.by_campaign.get(campaign_id)
        if buf is None:
            raise not_found(CAMPAIGNS_V1, f"campaign {campaign_id!r}")
        return buf

    def take_dial_requests(self, campaign_id: str, n: int, now: float) -> list[DialRequest]:
        """Pop up to ``n`` live requests FIFO. Expired ones met on the way end
        EXPIRED at their expiration time. Taken requests leave the buffer: the
        engine owns them (and their stream version) until it requeues them."""
        self._buffer(campaign_id)
        taken, events = self._buffers.take(campaign_id, n, now)
        if events:
            self.sink.append(events)
        return taken

    def pending_count(self, campaign_id: str) -> int:
        """Live requests waiting in the campaign's buffer (O(1))."""
        return self._buffer(campaign_id).live

    def next_expiration(self) -> float | None:
        """Earliest expiration among buffered requests of all campaigns."""
        return self._buffers.next_expiration()

    def expire_due(self, now: float) -> int:
        """End EXPIRED every buffered request with expiration <= now; the count."""
        events = self._buffers.expire_due(now)
        if events:
            self.sink.append(events)
        return len(events)

    def requeue(self, request: DialRequest, now: float) -> None:
        """Put a taken request back at the tail of its campaign's buffer (redial).

        If it has expired by ``now`` it ends EXPIRED ("expired", at ``now``);
        if its campaign is stopped, deleted or otherwise not accepting, it ends
        EXPIRED ("campaign_stopped", at ``now``). The buffer limit does not
        apply: the request was accepted once already.
        """
        c = self._campaigns.get(request.campaign_id)
        event: Event | None = None
        if c is None or c.state not in ACCEPTING:
            event = expire(request, now, REASON_STOPPED)
        elif request.expiration <= now:
            event = expire(request, now, REASON_EXPIRED)
        if event is not None:
            self.sink.append([event])
            return
        self._buffers.push(self._buffers.by_campaign[request.campaign_id], [request])

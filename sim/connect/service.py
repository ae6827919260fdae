"""OutboundCore: the wire entry point ``call`` and the engine's typed fast path.

Order of checks for every operation (as AWS front ends do it): unknown
operation -> authentication -> throttling -> shape validation -> resource
lookup -> state -> injected request fault -> idempotent replay -> work.
A throttled call consumes nothing; any call let through the bucket spends a
token, whatever its outcome.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from sim.connect.buffer import Buffers, CampaignBuffer
from sim.connect.campaigns import ACCEPTING, TRANSITIONS, Campaign, describe
from sim.connect.config import CoreConfig
from sim.connect.contactlimits import LimitBook
from sim.connect.contacts import Answer, ContactFactory, parse, replay
from sim.connect.dialrequests import DialRequestIntake, Intake
from sim.connect.errors import (
    CAMPAIGNS_V1,
    CAMPAIGNS_V2,
    CONNECT,
    Context,
    ServiceError,
    internal_error,
    not_found,
    throttling_error,
    validate,
    validation_error,
)
from sim.connect.fastpath import dial_items
from sim.connect.idempotency import IdempotencyStore, request_digest
from sim.connect.models_campaign import (
    CAMPAIGN_ID_V1,
    GET_CAMPAIGN_STATE_BATCH,
    JSON_CONTEXT,
    PUT_DIAL_REQUEST_BATCH,
)
from sim.connect.models_campaign_v2 import CAMPAIGN_ID_V2, PUT_OUTBOUND_REQUEST_BATCH
from sim.connect.registry import CampaignRegistry
from sim.connect.throttle import TokenBucket
from sim.connect.v2config import Limit
from sim.connect.v2ops import Handler, SettingsOps
from sim.domain import DialRequest, EventSink, WaitingContact

_API = {CAMPAIGNS_V1: "v1", CAMPAIGNS_V2: "v2"}
_ID_ADAPTER: dict[str, TypeAdapter[Any]] = {
    CAMPAIGNS_V1: CAMPAIGN_ID_V1,
    CAMPAIGNS_V2: CAMPAIGN_ID_V2,
}

# Operations only the outbound campaigns service principal may call.
PRINCIPAL_ONLY = frozenset({(CONNECT, "BatchPutContact")})


def _buckets(config: CoreConfig) -> dict[str, TokenBucket]:
    """A full token bucket per quota of ``config``."""
    return {
        name: TokenBucket(getattr(config.quotas, name)) for name in type(config.quotas).model_fields
    }


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
        self._buffers = Buffers()
        self.registry = CampaignRegistry(config, rng, sink, self._buffers)
        self._campaigns = self.registry.by_id
        self._tokens = IdempotencyStore(config.idempotency_retention_s)
        self._contacts = ContactFactory(config, rng, self._campaigns)
        self._intake = DialRequestIntake(config, rng)
        # Two sets of buckets, one per clock: simulated callers (the engine)
        # and callers measured on another clock (the HTTP face's wall clock).
        self._buckets = _buckets(config)
        self._other_buckets = _buckets(config)
        self._request_fault = config.faults.request_error_probability
        control: Handler = self._control
        self._ops: dict[tuple[str, str], tuple[Handler, str]] = {
            (CONNECT, "BatchPutContact"): (self._bpc, "batch_put_contact")
        }
        for svc in (CAMPAIGNS_V1, CAMPAIGNS_V2):
            self._ops.update({
                (svc, "CreateCampaign"): (self._create, "campaign_control"),
                (svc, "DescribeCampaign"): (self._describe, "describe_campaign"),
                (svc, "GetCampaignState"): (self._get_state, "get_campaign_state"),
                (svc, "DeleteCampaign"): (self._delete, "campaign_control"),
                **{(svc, op): (control, "campaign_control") for op in TRANSITIONS},
            })  # fmt: skip
        self._ops[(CAMPAIGNS_V1, "GetCampaignStateBatch")] = (
            self._get_state_batch,
            "get_campaign_state",
        )
        self._ops[(CAMPAIGNS_V1, "PutDialRequestBatch")] = (
            self._put_requests,
            "put_dial_request_batch",
        )
        self._ops[(CAMPAIGNS_V2, "PutOutboundRequestBatch")] = (
            self._put_requests,
            "put_outbound_request_batch",
        )
        self._settings = SettingsOps(self.registry)
        self._limits = LimitBook(lambda: self._settings.instance_limits)
        for op, handler in self._settings.handlers().items():
            self._ops[(CAMPAIGNS_V2, op)] = (handler, "campaign_settings")

    # -- the wire entry point ----------------------------------------------------

    def call(
        self,
        service: str,
        operation: str,
        request: Mapping[str, Any],
        *,
        caller: str,
        now: float,
        quota_time: float | None = None,
        json: bool = False,
    ) -> dict[str, Any]:
        """Run one operation on its wire JSON request; the wire JSON response.

        ``now`` is the simulated instant of the call. Request quotas are
        measured at ``now`` unless ``quota_time`` is given: then the call is
        throttled by a separate set of buckets measured at ``quota_time``
        (the HTTP face's wall clock), so no bucket ever sees two clocks.
        ``json``: the request arrived as JSON, so every member must have the
        JSON type the model declares (timestamps as ISO 8601 strings).

        Raises ServiceError with the AWS error type; an unknown service or
        operation is UnknownOperationException (404).
        """
        entry = self._ops.get((service, operation))
        if entry is None:
            raise ServiceError(
                "UnknownOperationException",
                f"{service} has no operation {operation} in this simulator",
                service=service,
            )
        handler, quota = entry
        if (service, operation) in PRINCIPAL_ONLY and caller != self.config.campaigns_principal:
            # Authentication comes before throttling: a denied call spends nothing.
            raise ServiceError("AccessDeniedException", f"{caller!r} may not call {operation}")
        buckets, at = (
            (self._buckets, now) if quota_time is None else (self._other_buckets, quota_time)
        )
        if not buckets[quota].try_take(at):
            raise throttling_error(service, operation)
        if type(request) is not dict and not isinstance(request, Mapping):
            raise validation_error(service, "(request): must be a JSON object")
        context = JSON_CONTEXT if json else None
        return handler(service, operation, request, context, now)

    def _fault(self, service: str) -> None:
        if self._request_fault and self.rng.random() < self._request_fault:
            raise internal_error(service)

    # -- BatchPutContact -----------------------------------------------------------

    def _bpc(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        batch = parse(request)
        if batch.instance_id != self.config.instance_id:
            raise not_found(service, f"instance {batch.instance_id!r}")
        self._fault(service)
        token, digest = batch.client_token, b""
        if token:
            try:
                digest = request_digest(request)
            except TypeError:  # orjson: nested past 255 levels (in ignored members)
                raise validation_error(
                    service, "(request): nested too deeply to compare for idempotency"
                ) from None
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

    def _create(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        cid = self.create_campaign(request, api=_API[service], now=now, context=context)
        c = self._campaigns[cid]
        out: dict[str, Any] = {"id": cid, "arn": c.arn}
        if "tags" in c.wire:
            out["tags"] = c.wire["tags"]
        return out

    def _describe(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(_ID_ADAPTER[service], service, request, context)
        return describe(self.registry.lookup(service, req.id))

    def _get_state(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(_ID_ADAPTER[service], service, request, context)
        return {"state": self.registry.lookup(service, req.id).state}

    def _get_state_batch(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(GET_CAMPAIGN_STATE_BATCH, service, request, context)
        ok, failed = [], []
        for cid in req.campaignIds:
            c = self._campaigns.get(cid)
            if c is None or c.api != "v1":
                failed.append({"campaignId": cid, "failureCode": "ResourceNotFound"})
            else:
                ok.append({"campaignId": cid, "state": c.state})
        return {"successfulRequests": ok, "failedRequests": failed}

    def _control(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(_ID_ADAPTER[service], service, request, context)
        self.registry.transition(self.registry.lookup(service, req.id), operation, now)
        return {}

    def _delete(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        req = validate(_ID_ADAPTER[service], service, request, context)
        c = self.registry.lookup(service, req.id)
        self.registry.delete(c, now)
        self._limits.deleted[c.id] = c  # its calls still up end under its limits
        return {}

    # -- dial requests ---------------------------------------------------------------

    def _put_requests(
        self, service: str, operation: str, request: Mapping[str, Any], context: Context, now: float
    ) -> dict[str, Any]:
        v1 = service == CAMPAIGNS_V1
        plain = dial_items(request) if v1 and context is None else None
        if plain is None:
            adapter = PUT_DIAL_REQUEST_BATCH if v1 else PUT_OUTBOUND_REQUEST_BATCH
            req = validate(adapter, service, request, context)
            campaign_id = req.id
        else:
            campaign_id = plain[0]
        c = self.registry.lookup(service, campaign_id)
        if c.state not in ACCEPTING:
            raise ServiceError(
                "InvalidCampaignStateException",
                f"campaign is {c.state}; dial requests need Running or Paused",
                extra={"state": c.state},
                service=service,
            )
        self._fault(service)
        buf = self._buffers.by_campaign[c.id]
        if plain is not None:
            intake = self._intake.build_items(c, buf, plain[1], "v1", now)
        elif v1:
            intake = self._intake.build_v1(c, buf, req.dialRequests, now)
        else:
            intake = self._intake.build_v2(c, buf, req.outboundRequests, now)
        self._commit_intake(buf, intake, now)
        return intake.response

    def _commit_intake(self, buf: CampaignBuffer, intake: Intake, now: float) -> None:
        if intake.events:
            self.sink.append(intake.events)
        buf.arrive(intake.accepted)
        buf.prune_tokens(now)
        forget = now + self.config.idempotency_retention_s
        remember = buf.remember_token
        for r in intake.accepted:
            if r.client_token:
                remember(r.client_token, r.id, forget)

    # -- typed helpers for the engine (no throttling, same events) -------------------

    def create_campaign(
        self,
        request: Mapping[str, Any],
        *,
        api: str,
        now: float,
        campaign_id: str | None = None,
        context: Context = None,
    ) -> str:
        """Create a campaign from its wire CreateCampaign request of ``api`` ("v1"/"v2");
        its id. See ``CampaignRegistry.create``."""
        return self.registry.create(
            request, api=api, now=now, campaign_id=campaign_id, context=context
        )

    def campaign(self, campaign_id: str) -> Campaign:
        """The live view of a campaign; ResourceNotFoundException if unknown."""
        return self.registry.get(campaign_id)

    def campaign_state(self, campaign_id: str) -> str | None:
        """A campaign's state, or None if there is no such campaign (deleted)."""
        c = self._campaigns.get(campaign_id)  # the registry's dict: hot (each dial decision)
        return None if c is None else c.state

    def close(self) -> None:
        """Release the token logs' records on disk (their files); the core
        answers nothing afterwards that needs them."""
        self._tokens.close()
        for buf in self._buffers.by_campaign.values():
            buf.tokens.close()

    def campaigns(self) -> list[Campaign]:
        """All campaigns, in creation order."""
        return self.registry.all()

    def start_campaign(self, campaign_id: str, now: float) -> None:
        """StartCampaign without throttling (InvalidCampaignStateException if not allowed)."""
        self.registry.transition(self.campaign(campaign_id), "StartCampaign", now)

    def pause_campaign(self, campaign_id: str, now: float) -> None:
        """PauseCampaign without throttling."""
        self.registry.transition(self.campaign(campaign_id), "PauseCampaign", now)

    def resume_campaign(self, campaign_id: str, now: float) -> None:
        """ResumeCampaign without throttling."""
        self.registry.transition(self.campaign(campaign_id), "ResumeCampaign", now)

    def stop_campaign(self, campaign_id: str, now: float) -> None:
        """StopCampaign without throttling; the buffer ends EXPIRED (campaign_stopped)."""
        self.registry.transition(self.campaign(campaign_id), "StopCampaign", now)

    @property
    def instance_limits(self) -> tuple[Limit, ...]:
        """The instance's communication limits (PutInstanceCommunicationLimits); () if none."""
        return self._settings.instance_limits

    def next_schedule_end(self) -> float | None:
        """Earliest schedule end among Running / Paused v2 campaigns, if any."""
        return self.registry.next_schedule_end()

    def complete_due(self, now: float) -> list[str]:
        """Complete every Running / Paused campaign whose schedule ended by ``now``;
        the ids completed. See ``CampaignRegistry.complete_due``."""
        return self.registry.complete_due(now)

    def _buffer(self, campaign_id: str) -> CampaignBuffer:
        buf = self._buffers.by_campaign.get(campaign_id)
        if buf is None:
            raise not_found(CAMPAIGNS_V1, f"campaign {campaign_id!r}")
        return buf

    def take_arriving(self, campaign_id: str, n: int, now: float) -> list[DialRequest]:
        """Up to ``n`` accepted requests, FIFO, for the campaign to create their contacts.

        They stay pending (ingesting) until ``contacts_created`` or
        ``ingestion_ended``. Expired ones met on the way end EXPIRED at their
        expiration time; the caller owns the taken requests' stream versions.
        """
        taken, events = self._buffer(campaign_id).take_arriving(n, now)
        if events:
            self.sink.append(events)
        return taken

    def contacts_created(
        self, campaign_id: str, created: list[tuple[DialRequest, str]], now: float
    ) -> None:
        """BatchPutContact created these requests' contacts: they wait to be dialed.

        If the campaign has stopped meanwhile they end at once (EXPIRED).
        """
        c = self._campaigns.get(campaign_id)
        accepting = c is not None and c.state in ACCEPTING
        events = self._buffer(campaign_id).created(created, now, accepting)
        if events:
            self.sink.append(events)

    def ingestion_ended(self, campaign_id: str, n: int) -> None:
        """``n`` ingesting requests ended without a contact (the caller emitted why).

        A deleted campaign has no buffer left to count them in.
        """
        buf = self._buffers.by_campaign.get(campaign_id)
        if buf is not None:
            buf.ingesting -= n

    def take_contacts(
        self, campaign_id: str, n: int, now: float, lead: float = 0.0
    ) -> list[WaitingContact]:
        """Up to ``n`` waiting contacts, FIFO, to dial now. Under calling hours only
        of zones open now and, with a ``lead`` (a preview is placed up to the
        agent's review timeout later), still open at ``now + lead``. Expired ones met on
        the way end EXPIRED at their expiration time; under contact limits a
        recipient over its limit ends EXPIRED (reason ``communication_limit``)
        and each contact handed out counts as an attempt in progress until
        ``attempt_over``."""
        buf = self._buffer(campaign_id)
        taken, events = buf.take_waiting(n, now, lead)
        c = self._campaigns.get(campaign_id)
        if c is not None and taken and self._limits.applies(c):
            taken = self._limits.within(c, buf, taken, n, now, events, lead)
        if events:
            self.sink.append(events)
        return taken

    def attempt_over(
        self, campaign_id: str, contact_id: str, phone: str, dialed_at: float, outcome: str
    ) -> None:
        """A dial handed out by ``take_contacts`` ended with ``outcome``: counted
        toward the recipient's limits if it reached someone (no-op without limits)."""
        limits = self._limits
        c = self._campaigns.get(campaign_id) or limits.deleted.get(campaign_id)
        if c is not None and (limits.counting or limits.applies(c)):
            limits.attempt_over(c, contact_id, phone, dialed_at, outcome)

    def next_opening(self, campaign_id: str, now: float, lead: float = 0.0) -> float | None:
        """Under calling hours: when the next zone that is closed at ``now`` and has
        waiting contacts opens (None: no such zone, or no calling hours); with a
        ``lead``, as ``take_contacts`` sees zones: open through ``lead`` after."""
        return self._buffer(campaign_id).next_opening(now, lead)

    def pending_count(self, campaign_id: str) -> int:
        """Requests accepted and neither dialed nor ended (every stage; O(1))."""
        return self._buffer(campaign_id).pending

    def arriving_count(self, campaign_id: str) -> int:
        """Accepted requests whose contact is not created yet (O(1))."""
        return len(self._buffer(campaign_id).arriving)

    def waiting_count(self, campaign_id: str) -> int:
        """Created contacts waiting to be dialed (O(1))."""
        return len(self._buffer(campaign_id).waiting)

    def next_expiration(self) -> float | None:
        """Earliest expiration among the waiting contacts of every campaign."""
        return self._buffers.next_expiration()

    def expire_due(self, now: float) -> int:
        """End EXPIRED every waiting contact with expiration <= now; the events' count."""
        events = self._buffers.expire_due(now)
        if events:
            self.sink.append(events)
        return len(events)

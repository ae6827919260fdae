"""BatchPutContact: validate a batch in bulk, decide each item, create contacts.

Request-level vs item-level (the rule): a violation is item-level when it lies
inside an item member that has its own FailureReasonCode (CustomerEndpoint,
SystemEndpoint, QueueId, Campaign, Attributes, OutboundStrategy); every other
violation (InstanceId, ClientToken, list bounds, an item that is not an
object, RequestIdentifier — which the failure entry itself must echo) makes
the whole request an InvalidRequestException naming every violation.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from pydantic import ValidationError

from sim.connect.campaigns import PAUSED, RUNNING, Campaign
from sim.connect.config import CoreConfig
from sim.connect.errors import (
    CONNECT,
    format_errors,
    format_loc,
    join_problems,
    validation_error,
)
from sim.connect.fastpath import ContactItem, contact_items
from sim.connect.ids import new_uuid
from sim.connect.models_contact import (
    BATCH_PUT_CONTACT_REQUEST,
    CONTACT_DATA_REQUEST,
    ContactDataRequest,
)
from sim.domain import Event, EventType
from sim.domain.events import new_event

E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_E164_MATCH = E164.fullmatch
_TELEPHONE = "TELEPHONE_NUMBER"
_INITIATED = EventType.INITIATED.value  # a plain str on the hot path

# Item members whose shape violations are item failures, in check order.
ITEM_MEMBER_CODES: dict[str, str] = {
    "CustomerEndpoint": "INVALID_CUSTOMER_ENDPOINT",
    "SystemEndpoint": "INVALID_SYSTEM_ENDPOINT",
    "QueueId": "INVALID_QUEUE",
    "Campaign": "MISSING_CAMPAIGN",
    "Attributes": "INVALID_ATTRIBUTE_KEY",
    "OutboundStrategy": "INVALID_OUTBOUND_STRATEGY",
}
_ORDER = {m: i for i, m in enumerate(ITEM_MEMBER_CODES)}


class ItemFailure(NamedTuple):
    code: str
    message: str


class Batch(NamedTuple):
    instance_id: str
    client_token: str | None
    items: list[ContactDataRequest | ContactItem | ItemFailure]
    raw_ids: list[str | None]  # RequestIdentifier of each item, as sent


def parse(request: Mapping[str, Any]) -> Batch:
    """Validate the whole request with one TypeAdapter call.

    Raises InvalidRequestException naming every violation if any is
    request-level; item-level violations become ``ItemFailure`` entries.
    """
    fast = contact_items(request)
    if fast is not None:
        instance_id, token, fast_items = fast
        ids = [i.RequestIdentifier for i in fast_items]
        return Batch(instance_id, token, list(fast_items), ids)
    return parse_slow(request)


def parse_slow(request: Mapping[str, Any]) -> Batch:
    """``parse`` by pydantic alone (the reference the fast path is tested against)."""
    try:
        req = BATCH_PUT_CONTACT_REQUEST.validate_python(request)
    except ValidationError as exc:
        return _parse_with_errors(request, exc)
    items: list[ContactDataRequest | ContactItem | ItemFailure] = list(req.ContactDataRequestList)
    ids = [i.RequestIdentifier for i in req.ContactDataRequestList]
    return Batch(req.InstanceId, req.ClientToken, items, ids)


def _parse_with_errors(request: Mapping[str, Any], exc: ValidationError) -> Batch:
    """Slow path: split errors into item failures, or raise with all of them."""
    errors = exc.errors(include_url=False, include_input=False)
    per_item: dict[int, list[dict[str, Any]]] = {}
    for e in errors:
        loc = e["loc"]
        item_level = (
            len(loc) >= 3
            and loc[0] == "ContactDataRequestList"
            and isinstance(loc[1], int)
            and loc[2] in ITEM_MEMBER_CODES
        )
        if not item_level:
            raise validation_error(CONNECT, format_errors(errors))
        per_item.setdefault(int(loc[1]), []).append(dict(e))
    raw_items = request["ContactDataRequestList"]
    items: list[ContactDataRequest | ContactItem | ItemFailure] = []
    for i, raw in enumerate(raw_items):
        errs = per_item.get(i)
        if errs is None:
            items.append(CONTACT_DATA_REQUEST.validate_python(raw))
            continue
        errs.sort(key=lambda e: _ORDER[e["loc"][2]])
        msg = join_problems([f"{format_loc(e['loc'][2:])}: {e['msg']}" for e in errs])
        items.append(ItemFailure(ITEM_MEMBER_CODES[errs[0]["loc"][2]], msg))
    ids = [raw.get("RequestIdentifier") for raw in raw_items]
    return Batch(request["InstanceId"], request.get("ClientToken"), items, ids)


class Answer(NamedTuple):
    """A batch's outcome, compactly: the ContactIds of the items that
    succeeded (in item order) and each failed item's (index, code, message)."""

    contact_ids: list[str]
    failures: list[tuple[int, str, str]]


def replay(batch: Batch, answer: Answer) -> dict[str, Any]:
    """The response ``ContactFactory.build`` gave for ``answer``, rebuilt for
    the same request sent again (``batch``: same items, so same identifiers)."""
    ok: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    failures = {index: (code, message) for index, code, message in answer.failures}
    ids = iter(answer.contact_ids)
    for index, rid in enumerate(batch.raw_ids):
        failure = failures.get(index)
        if failure is not None:
            entry = {"FailureReasonCode": failure[0], "FailureReasonMessage": failure[1]}
            if rid is not None:
                entry["RequestIdentifier"] = rid
            failed.append(entry)
        else:
            contact_id = next(ids)
            ok.append(
                {"ContactId": contact_id}
                if rid is None
                else {"RequestIdentifier": rid, "ContactId": contact_id}
            )
    return {"SuccessfulRequestList": ok, "FailedRequestList": failed}


class ContactFactory:
    """Decides each item of a parsed batch and builds contacts and INITIATED events."""

    def __init__(
        self, config: CoreConfig, rng: random.Random, campaigns: Mapping[str, Campaign]
    ) -> None:
        self.config = config
        self.rng = rng
        self.campaigns = campaigns
        self._queues = frozenset(config.queues)
        self._numbers = frozenset(config.phone_numbers)
        self._item_fault = config.faults.item_error_probability

    def build(self, batch: Batch, now: float) -> tuple[dict[str, Any], list[Event], Answer]:
        """The response, the events and the compact answer (for idempotent
        replay) of a batch; nothing is committed here."""
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        events: list[Event] = []
        ids: list[str] = []
        failures: list[tuple[int, str, str]] = []
        seen: set[str] = set()
        rng, instance_id = self.rng, batch.instance_id
        for index, (item, rid) in enumerate(zip(batch.items, batch.raw_ids, strict=True)):
            if rid is not None and rid in seen:
                outcome: ItemFailure | Campaign = ItemFailure(
                    "IDEMPOTENCY_EXCEPTION", f"RequestIdentifier {rid!r} repeated in the batch"
                )
            elif isinstance(item, ItemFailure):
                outcome = item
            else:
                outcome = self._check(item)
            if rid is not None:
                seen.add(rid)
            if isinstance(outcome, ItemFailure):
                entry = {"FailureReasonCode": outcome.code, "FailureReasonMessage": outcome.message}
                if rid is not None:
                    entry["RequestIdentifier"] = rid
                failed.append(entry)
                failures.append((index, outcome.code, outcome.message))
                continue
            assert not isinstance(item, ItemFailure)
            contact_id = new_uuid(rng)
            ids.append(contact_id)
            ok.append(
                {"ContactId": contact_id}
                if rid is None
                else {"RequestIdentifier": rid, "ContactId": contact_id}
            )
            system = item.SystemEndpoint
            payload = {
                "campaign_id": outcome.id,
                "request_identifier": rid,
                "instance_id": instance_id,
                "queue_id": item.QueueId if item.QueueId is not None else outcome.queue_id,
                "customer_endpoint": item.CustomerEndpoint.Address,  # type: ignore[union-attr]
                "system_endpoint": system.Address if system is not None else None,
            }
            events.append(new_event(Event, (contact_id, 1, _INITIATED, now, payload)))
        response = {"SuccessfulRequestList": ok, "FailedRequestList": failed}
        return response, events, Answer(ids, failures)

    def _check(self, item: ContactDataRequest | ContactItem) -> ItemFailure | Campaign:
        """The first failure of a shape-valid item in the documented order, or
        its campaign if the item is to become a contact."""
        customer = item.CustomerEndpoint
        if customer is None or not customer.Address:
            return ItemFailure("MISSING_CUSTOMER_ENDPOINT", "CustomerEndpoint.Address is required")
        if customer.Type != _TELEPHONE or not _E164_MATCH(customer.Address):
            return ItemFailure(
                "INVALID_CUSTOMER_ENDPOINT",
                "CustomerEndpoint must be a TELEPHONE_NUMBER in E.164 format",
            )
        system, queue_id = item.SystemEndpoint, item.QueueId
        if system is None and queue_id is None:
            return ItemFailure(
                "MISSING_QUEUE_ID_AND_SYSTEM_ENDPOINT", "one of QueueId, SystemEndpoint is required"
            )
        if system is not None and (
            system.Type != _TELEPHONE or system.Address not in self._numbers
        ):
            return ItemFailure(
                "INVALID_SYSTEM_ENDPOINT", "SystemEndpoint is not a number claimed by the instance"
            )
        if queue_id is not None and queue_id not in self._queues:
            return ItemFailure("INVALID_QUEUE", f"queue {queue_id!r} not in the instance")
        ref = item.Campaign
        campaign = self.campaigns.get(ref.CampaignId) if ref and ref.CampaignId else None
        if campaign is None:
            return ItemFailure("MISSING_CAMPAIGN", "Campaign.CampaignId missing or unknown")
        # Shape-valid attributes need no further check: keys are 1..32767 chars.
        strategy = item.OutboundStrategy
        if strategy is not None and campaign.mode != "preview":
            agent_first = strategy.Config.AgentFirst if strategy.Config else None
            if agent_first is not None and agent_first.Preview is not None:
                return ItemFailure(
                    "INVALID_OUTBOUND_STRATEGY", f"Preview strategy on a {campaign.mode} campaign"
                )
        if campaign.state not in (RUNNING, PAUSED):
            return ItemFailure(
                "REQUEST_THROTTLED", f"campaign is {campaign.state}, not Running or Paused"
            )
        if self._item_fault and self.rng.random() < self._item_fault:
            return ItemFailure("INTERNAL_ERROR", "injected internal failure")
        return campaign

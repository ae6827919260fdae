"""PutDialRequestBatch (v1) and PutOutboundRequestBatch (v2): deciding each item.

Shape violations were already turned into one ValidationException by the
caller; what is decided here is semantic and per item (failures are data).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, NamedTuple

from sim.connect.buffer import CampaignBuffer
from sim.connect.campaigns import Campaign
from sim.connect.config import CoreConfig
from sim.connect.contacts import E164
from sim.connect.ids import new_uuid, to_posix
from sim.connect.models_campaign import DialRequest as WireDialRequest
from sim.connect.models_campaign_v2 import OutboundRequest
from sim.domain import DialRequest, Event, EventType
from sim.domain.events import new_event

_E164_MATCH = E164.fullmatch
# plain str on the hot path
_ACCEPTED = EventType.DIAL_REQUEST_ACCEPTED.value
_REJECTED = EventType.DIAL_REQUEST_REJECTED.value


class Intake(NamedTuple):
    """What one batch comes to; the caller commits it (events, buffer, tokens)."""

    response: dict[str, Any]
    accepted: list[DialRequest]
    events: list[Event]


# One item, reduced to what the intake needs: (token, phone or None if not
# telephony, expiration, attributes, source, amd, ring timeout, await prompt)
_Item = tuple[
    str, str | None, float, dict[str, str], str | None, bool | None, float | None, bool | None
]


def _v1_items(items: Sequence[WireDialRequest]) -> list[_Item]:
    return [
        (
            r.clientToken,
            r.phoneNumber,
            to_posix(r.expirationTime),
            r.attributes,
            None,
            None,
            None,
            None,
        )
        for r in items
    ]


def _v2_item(r: OutboundRequest) -> _Item:
    tel = r.channelSubtypeParameters.telephony
    expiration = to_posix(r.expirationTime)
    if tel is None:
        return (r.clientToken, None, expiration, {}, None, None, None, None)
    amd = tel.answerMachineDetectionConfig
    return (
        r.clientToken,
        tel.destinationPhoneNumber,
        expiration,
        tel.attributes,
        tel.connectSourcePhoneNumber,
        amd.enableAnswerMachineDetection if amd is not None else None,
        float(tel.ringTimeout) if tel.ringTimeout is not None else None,
        amd.awaitAnswerMachinePrompt if amd is not None else None,
    )


class DialRequestIntake:
    """Turns validated dial-request batches into accepted and rejected requests."""

    def __init__(self, config: CoreConfig, rng: random.Random) -> None:
        self.rng = rng
        self.limit = config.buffer_limit
        self._numbers = frozenset(config.phone_numbers)
        self._item_fault = config.faults.item_error_probability

    def build_v1(
        self, c: Campaign, buf: CampaignBuffer, items: Sequence[WireDialRequest], now: float
    ) -> Intake:
        return self._build(c, buf, _v1_items(items), "v1", now)

    def build_v2(
        self, c: Campaign, buf: CampaignBuffer, items: Sequence[OutboundRequest], now: float
    ) -> Intake:
        return self._build(c, buf, [_v2_item(r) for r in items], "v2", now)

    def build_items(
        self, c: Campaign, buf: CampaignBuffer, items: Sequence[_Item], api: str, now: float
    ) -> Intake:
        """A batch already read into items (``fastpath.dial_items``)."""
        return self._build(c, buf, items, api, now)

    def _build(
        self, c: Campaign, buf: CampaignBuffer, items: Sequence[_Item], api: str, now: float
    ) -> Intake:
        ok: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        accepted: list[DialRequest] = []
        events: list[Event] = []
        batch_tokens: dict[str, str] = {}
        rng, cid, limit, fault = self.rng, c.id, self.limit, self._item_fault
        numbers, token_id = self._numbers, buf.token_id
        for it in items:
            token, phone, expiration, _, source = it[:5]
            # Idempotency by clientToken: a token accepted before in this campaign
            # (or earlier in this batch) answers with the same id, adds nothing.
            if token:
                known = batch_tokens.get(token)
                if known is None:
                    known = token_id(token, now)
                if known is not None:
                    ok.append({"clientToken": token, "id": known})
                    continue
            pending = buf.pending + len(accepted)
            # Fast path: an obviously good item skips the call that explains failures.
            good = (
                phone is not None
                and expiration > now
                and _E164_MATCH(phone) is not None
                and (source is None or source in numbers)
                and pending < limit
                and not fault
            )
            code, reason = (None, "") if good else self._check(it, pending, api, now)
            rid = new_uuid(rng)
            if code is not None:
                failed.append({"clientToken": token, "id": rid, "failureCode": code})
                payload = {
                    "campaign_id": cid,
                    "client_token": token,
                    "failure_code": code,
                    "reason": reason,
                }
                events.append(new_event(Event, (rid, 1, _REJECTED, now, payload)))
                continue
            accepted.append(
                DialRequest(rid, cid, token, phone or "", expiration, now, 1, it[3], api, *it[4:])
            )
            if token:
                batch_tokens[token] = rid
            ok.append({"clientToken": token, "id": rid})
            accepted_payload: dict[str, Any] = {
                "campaign_id": cid,
                "client_token": token,
                "phone_number": phone,
                "expiration_time": expiration,
                "api": api,
            }
            events.append(new_event(Event, (rid, 1, _ACCEPTED, now, accepted_payload)))
        response = {"successfulRequests": ok, "failedRequests": failed}
        return Intake(response, accepted, events)

    def _check(self, it: _Item, pending: int, api: str, now: float) -> tuple[str | None, str]:
        """(failure code, reason) of one item, or (None, "") if it is accepted."""
        phone, source = it[1], it[4]
        if phone is None:
            return "InvalidInput", "only the telephony channel is simulated"
        if it[2] <= now:
            return "InvalidInput", "expirationTime is not in the future"
        if not _E164_MATCH(phone):
            return "InvalidInput", "phone number is not in E.164 format"
        if source is not None and source not in self._numbers:
            return "InvalidInput", "connectSourcePhoneNumber is not claimed by the instance"
        if pending >= self.limit:
            code = "BufferLimitExceeded" if api == "v2" else "RequestThrottled"
            return code, f"campaign buffer holds {pending} pending requests (limit {self.limit})"
        if self._item_fault and self.rng.random() < self._item_fault:
            return "UnknownError", "injected internal failure"
        return None, ""

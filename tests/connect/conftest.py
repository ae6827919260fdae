"""Shared builders: a small instance, campaigns and wire requests."""

from __future__ import annotations

import random
from typing import Any

import pytest

from sim.connect import CAMPAIGNS_PRINCIPAL, CoreConfig, Faults, OutboundCore, Quota, Quotas
from sim.domain import ListSink

T0 = 1_700_000_000.0
INSTANCE = "inst-1"
QUEUE = "q1"
SYSTEM = "+15550000001"
BIG = Quota(rate=1e9, burst=1e9)
NO_THROTTLE = Quotas(**{name: BIG for name in Quotas.model_fields})


def make_config(**kw: Any) -> CoreConfig:
    base: dict[str, Any] = {
        "instance_id": INSTANCE,
        "queues": (QUEUE, "q2"),
        "phone_numbers": (SYSTEM,),
        "quotas": NO_THROTTLE,
    }
    base.update(kw)
    return CoreConfig(**base)


def make_core(seed: int = 1, **kw: Any) -> tuple[OutboundCore, ListSink]:
    sink = ListSink()
    return OutboundCore(make_config(**kw), random.Random(seed), sink), sink


def v1_create(mode: str = "progressive", **out: Any) -> dict[str, Any]:
    dialer: dict[str, Any] = {"bandwidthAllocation": 1.0} if mode != "agentless" else {}
    return {
        "name": f"{mode} campaign",
        "connectInstanceId": INSTANCE,
        "dialerConfig": {f"{mode}DialerConfig": dialer},
        "outboundCallConfig": {"connectContactFlowId": "flow-1", "connectQueueId": QUEUE, **out},
    }


def v2_create(mode: str = "predictive", **out: Any) -> dict[str, Any]:
    cfgs: dict[str, dict[str, Any]] = {
        "progressive": {"bandwidthAllocation": 1.5},
        "predictive": {
            "bandwidthAllocation": 1.0,
            "pacingStrategies": [
                {
                    "abandonmentRate": {
                        "targetRate": 0.03,
                        "connectionStartPoint": "GREETING_END",
                        "connectionThresholdSeconds": 2,
                        "evaluationWindow": "PT24H",
                    }
                }
            ],
        },
        "agentless": {},
        "preview": {"bandwidthAllocation": 1.0, "timeoutConfig": {"durationInSeconds": 30}},
    }
    cfg = cfgs[mode]
    return {
        "name": f"{mode} v2",
        "connectInstanceId": INSTANCE,
        "channelSubtypeConfig": {
            "telephony": {
                "connectQueueId": QUEUE,
                "outboundMode": {mode: cfg},
                "defaultOutboundConfig": {"connectContactFlowId": "flow-1", **out},
            }
        },
    }


def running(core: OutboundCore, api: str = "v1", mode: str | None = None) -> str:
    """A started campaign's id."""
    req = v1_create(mode or "progressive") if api == "v1" else v2_create(mode or "predictive")
    cid = core.create_campaign(req, api=api, now=T0)
    core.start_campaign(cid, T0)
    return cid


def contact_item(cid: str, i: int = 0, **kw: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "RequestIdentifier": f"r{i}",
        "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": f"+1444{i:07d}"},
        "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": SYSTEM},
        "QueueId": QUEUE,
        "Campaign": {"CampaignId": cid},
    }
    item.update(kw)
    return {k: v for k, v in item.items() if v is not None}


def bpc(items: list[dict[str, Any]], token: str | None = "tok") -> dict[str, Any]:
    req: dict[str, Any] = {"InstanceId": INSTANCE, "ContactDataRequestList": items}
    if token is not None:
        req["ClientToken"] = token
    return req


def call_bpc(core: OutboundCore, request: dict[str, Any], now: float = T0) -> dict[str, Any]:
    return core.call("connect", "BatchPutContact", request, caller=CAMPAIGNS_PRINCIPAL, now=now)


def dial_item(i: int = 0, expires: float = T0 + 600, **kw: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "clientToken": f"t{i}",
        "phoneNumber": f"+1444{i:07d}",
        "expirationTime": expires,
        "attributes": {"n": str(i)},
    }
    item.update(kw)
    return item


def outbound_item(i: int = 0, expires: float = T0 + 600, **tel: Any) -> dict[str, Any]:
    return {
        "clientToken": f"t{i}",
        "expirationTime": expires,
        "channelSubtypeParameters": {
            "telephony": {"destinationPhoneNumber": f"+1444{i:07d}", "attributes": {}, **tel}
        },
    }


def put_dial(core: OutboundCore, cid: str, items: list[dict[str, Any]], now: float = T0) -> Any:
    req = {"id": cid, "dialRequests": items}
    return core.call("connectcampaigns", "PutDialRequestBatch", req, caller="x", now=now)


def put_outbound(core: OutboundCore, cid: str, items: list[dict[str, Any]], now: float = T0) -> Any:
    req = {"id": cid, "outboundRequests": items}
    return core.call("connectcampaignsv2", "PutOutboundRequestBatch", req, caller="x", now=now)


@pytest.fixture
def core_sink() -> tuple[OutboundCore, ListSink]:
    return make_core()


__all__ = ["Faults"]


def ingest(core: OutboundCore, cid: str, n: int = 25, now: float = T0) -> list[str]:
    """What a campaign's ingestion does: take arriving requests, create their
    contacts with BatchPutContact, hand them to the core; the ContactIds."""
    taken = core.take_arriving(cid, n, now)
    if not taken:
        return []
    items = [
        contact_item(
            cid,
            i,
            RequestIdentifier=r.id,
            CustomerEndpoint={"Type": "TELEPHONE_NUMBER", "Address": r.phone_number},
        )
        for i, r in enumerate(taken)
    ]
    out = call_bpc(core, bpc(items, token=f"ingest-{taken[0].id}"), now)
    by_id = {r.id: r for r in taken}
    created = [
        (by_id[s["RequestIdentifier"]], s["ContactId"]) for s in out["SuccessfulRequestList"]
    ]
    core.contacts_created(cid, created, now)
    return [contact for _, contact in created]

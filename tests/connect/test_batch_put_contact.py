"""BatchPutContact: each failure code, each request-level error, idempotency, events."""

from __future__ import annotations

from typing import Any

import pytest

from sim.connect import ServiceError
from sim.connect.models_contact import BatchPutContactResponse, FailureReasonCodeEnum
from sim.domain import PAYLOAD_KEYS

from .conftest import (
    INSTANCE,
    QUEUE,
    SYSTEM,
    T0,
    bpc,
    call_bpc,
    contact_item,
    make_core,
    running,
    v1_create,
    v2_create,
)


def one_failure(item: dict[str, Any], core_kw: dict[str, Any] | None = None) -> str:
    core, _ = make_core(**(core_kw or {}))
    cid = running(core)
    item = {**item, "Campaign": item.get("Campaign", {"CampaignId": cid})}
    if item["Campaign"] is None:
        del item["Campaign"]
    out = call_bpc(core, bpc([item]))
    assert out["SuccessfulRequestList"] == []
    (failed,) = out["FailedRequestList"]
    assert failed["RequestIdentifier"] == item.get("RequestIdentifier")
    assert failed["FailureReasonMessage"]
    return str(failed["FailureReasonCode"])


BASE = {k: v for k, v in contact_item("x").items() if k != "Campaign"}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("MISSING_CUSTOMER_ENDPOINT", {**BASE, "CustomerEndpoint": None}),
    ("MISSING_CUSTOMER_ENDPOINT", {**BASE, "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER"}}),
    ("INVALID_CUSTOMER_ENDPOINT", {**BASE, "CustomerEndpoint": {"Type": "VOIP", "Address": "+1"}}),
    (
        "INVALID_CUSTOMER_ENDPOINT",
        {**BASE, "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "555-1234"}},
    ),
    (
        "INVALID_CUSTOMER_ENDPOINT",
        {**BASE, "CustomerEndpoint": {"Type": "PIGEON", "Address": "+1"}},
    ),
    (
        "INVALID_CUSTOMER_ENDPOINT",
        {**BASE, "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+" + "1" * 300}},
    ),
    ("MISSING_QUEUE_ID_AND_SYSTEM_ENDPOINT", {**BASE, "SystemEndpoint": None, "QueueId": None}),
    (
        "INVALID_SYSTEM_ENDPOINT",
        {**BASE, "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+19999999999"}},
    ),
    ("INVALID_SYSTEM_ENDPOINT", {**BASE, "SystemEndpoint": {"Type": 7}}),
    ("INVALID_QUEUE", {**BASE, "QueueId": "nope"}),
    ("INVALID_QUEUE", {**BASE, "QueueId": 12}),
    ("MISSING_CAMPAIGN", {**BASE, "Campaign": None}),
    ("MISSING_CAMPAIGN", {**BASE, "Campaign": {"CampaignId": "unknown"}}),
    ("MISSING_CAMPAIGN", {**BASE, "Campaign": {"CampaignId": ""}}),
    ("INVALID_ATTRIBUTE_KEY", {**BASE, "Attributes": {"": "v"}}),
    ("INVALID_ATTRIBUTE_KEY", {**BASE, "Attributes": {"k": "v" * 40000}}),
    ("INVALID_OUTBOUND_STRATEGY", {**BASE, "OutboundStrategy": {"Type": "CUSTOMER_FIRST"}}),
    (
        "INVALID_OUTBOUND_STRATEGY",
        {
            **BASE,
            "OutboundStrategy": {
                "Type": "AGENT_FIRST",
                "Config": {
                    "AgentFirst": {
                        "Preview": {
                            "PostAcceptTimeoutConfig": {"DurationInSeconds": -1},
                            "AllowedUserActions": ["CALL"],
                        }
                    }
                },
            },
        },
    ),
    (
        "INVALID_OUTBOUND_STRATEGY",
        {
            **BASE,
            "OutboundStrategy": {
                "Type": "AGENT_FIRST",
                "Config": {
                    "AgentFirst": {
                        "Preview": {
                            "PostAcceptTimeoutConfig": {"DurationInSeconds": 5},
                            "AllowedUserActions": ["CALL"],
                        }
                    }
                },
            },
        },
    ),
]


@pytest.mark.parametrize(("code", "item"), CASES)
def test_failure_codes(code: str, item: dict[str, Any]) -> None:
    assert one_failure(item) == code


def test_every_failure_code_is_reachable() -> None:
    tested = {c for c, _ in CASES} | {
        "REQUEST_THROTTLED",
        "IDEMPOTENCY_EXCEPTION",
        "INTERNAL_ERROR",
    }  # the last three are tested below
    assert tested == {c.value for c in FailureReasonCodeEnum}


def test_request_throttled_when_campaign_does_not_accept_requests() -> None:
    """Contacts are created at ingestion, for a Running or a Paused campaign (it keeps
    accepting dial requests); not before it starts, nor after it stops."""
    core, _ = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    out = call_bpc(core, bpc([contact_item(cid)]))
    assert out["FailedRequestList"][0]["FailureReasonCode"] == "REQUEST_THROTTLED"
    core.start_campaign(cid, T0)
    core.pause_campaign(cid, T0)
    out = call_bpc(core, bpc([contact_item(cid)], token="t2"))
    assert len(out["SuccessfulRequestList"]) == 1
    core.stop_campaign(cid, T0)
    out = call_bpc(core, bpc([contact_item(cid)], token="t3"))
    assert out["FailedRequestList"][0]["FailureReasonCode"] == "REQUEST_THROTTLED"


def test_idempotency_exception_for_repeated_identifier() -> None:
    core, _ = make_core()
    cid = running(core)
    out = call_bpc(core, bpc([contact_item(cid, 1), contact_item(cid, 1), contact_item(cid, 2)]))
    assert [s["RequestIdentifier"] for s in out["SuccessfulRequestList"]] == ["r1", "r2"]
    assert out["FailedRequestList"][0]["FailureReasonCode"] == "IDEMPOTENCY_EXCEPTION"


def test_internal_error_item_fault() -> None:
    core, _ = make_core(faults={"item_error_probability": 1.0})
    cid = running(core)
    out = call_bpc(core, bpc([contact_item(cid)]))
    assert out["FailedRequestList"][0]["FailureReasonCode"] == "INTERNAL_ERROR"


def test_preview_strategy_allowed_on_preview_campaign() -> None:
    core, _ = make_core()
    cid = running(core, "v2", "preview")
    strategy = {
        "Type": "AGENT_FIRST",
        "Config": {
            "AgentFirst": {
                "Preview": {
                    "PostAcceptTimeoutConfig": {"DurationInSeconds": 5},
                    "AllowedUserActions": ["CALL", "DISCARD"],
                }
            }
        },
    }
    out = call_bpc(core, bpc([contact_item(cid, OutboundStrategy=strategy)]))
    assert len(out["SuccessfulRequestList"]) == 1


def test_bad_neighbour_does_not_spoil_others() -> None:
    core, _sink = make_core()
    cid = running(core)
    items = [contact_item(cid, i) for i in range(5)]
    items[2]["QueueId"] = "nope"
    out = call_bpc(core, bpc(items))
    assert [s["RequestIdentifier"] for s in out["SuccessfulRequestList"]] == [
        "r0",
        "r1",
        "r3",
        "r4",
    ]
    assert [f["RequestIdentifier"] for f in out["FailedRequestList"]] == ["r2"]
    BatchPutContactResponse.model_validate(out)


def test_initiated_events() -> None:
    core, sink = make_core()
    cid = running(core)
    before = len(sink.events)
    out = call_bpc(core, bpc([contact_item(cid, 0), contact_item(cid, 1, QueueId=None)]))
    events = sink.events[before:]
    assert [e.type for e in events] == ["INITIATED", "INITIATED"]
    for e, ok in zip(events, out["SuccessfulRequestList"], strict=True):
        assert e.stream_id == ok["ContactId"] and e.version == 1 and e.time == T0
        assert tuple(e.payload) == PAYLOAD_KEYS["INITIATED"]
        assert e.payload["request_identifier"] == ok["RequestIdentifier"]
        assert e.payload["campaign_id"] == cid and e.payload["instance_id"] == INSTANCE
        assert e.payload["queue_id"] == QUEUE and e.payload["system_endpoint"] == SYSTEM


def test_contact_ids_are_uuid4_from_rng() -> None:
    import random
    import uuid

    core, _ = make_core(seed=7)
    cid = running(core)
    rng = random.Random(7)
    rng.getrandbits(128)  # the campaign id drew first
    out = call_bpc(core, bpc([contact_item(cid)]))
    assert out["SuccessfulRequestList"][0]["ContactId"] == str(
        uuid.UUID(int=rng.getrandbits(128), version=4)
    )


# -- request-level errors -------------------------------------------------------------


def test_access_denied() -> None:
    core, _ = make_core()
    with pytest.raises(ServiceError) as e:
        core.call("connect", "BatchPutContact", bpc([]), caller="someone", now=T0)
    assert (e.value.code, e.value.status) == ("AccessDeniedException", 403)
    assert "Message" in e.value.body()


def test_invalid_request_names_every_violation() -> None:
    core, _ = make_core()
    cid = running(core)
    items = [contact_item(cid, i) for i in range(4)]
    items[3]["RequestIdentifier"] = "x" * 81
    items[1] = "not an object"  # type: ignore[call-overload]
    with pytest.raises(ServiceError) as e:
        call_bpc(core, {**bpc(items), "ClientToken": "c" * 501})
    assert (e.value.code, e.value.status) == ("InvalidRequestException", 400)
    msg = e.value.message
    assert "ContactDataRequestList[3].RequestIdentifier: " in msg
    assert "ContactDataRequestList[1]: " in msg
    assert "ClientToken: " in msg


@pytest.mark.parametrize("n", [0, 26])
def test_list_bounds_are_request_level(n: int) -> None:
    core, _ = make_core()
    cid = running(core)
    with pytest.raises(ServiceError, match="ContactDataRequestList") as e:
        call_bpc(core, bpc([contact_item(cid, i) for i in range(n)]))
    assert e.value.status == 400


def test_unknown_instance() -> None:
    core, _ = make_core()
    cid = running(core)
    with pytest.raises(ServiceError) as e:
        call_bpc(core, {**bpc([contact_item(cid)]), "InstanceId": "other"})
    assert (e.value.code, e.value.status) == ("ResourceNotFoundException", 404)


def test_idempotent_replay_and_conflict() -> None:
    core, sink = make_core()
    cid = running(core)
    req = bpc([contact_item(cid, i) for i in range(3)])
    first = call_bpc(core, req)
    n = len(sink.events)
    first["SuccessfulRequestList"].clear()  # the caller mutating its copy changes nothing
    again = call_bpc(core, bpc([contact_item(cid, i) for i in range(3)]), now=T0 + 10)
    assert len(again["SuccessfulRequestList"]) == 3 and len(sink.events) == n
    with pytest.raises(ServiceError) as e:
        call_bpc(core, bpc([contact_item(cid, 9)]))
    assert (e.value.code, e.value.status) == ("IdempotencyException", 409)


def test_token_forgotten_after_retention() -> None:
    core, _sink = make_core(idempotency_retention_s=100)
    cid = running(core)
    a = call_bpc(core, bpc([contact_item(cid)]))
    b = call_bpc(core, bpc([contact_item(cid)]), now=T0 + 101)
    assert a["SuccessfulRequestList"][0]["ContactId"] != b["SuccessfulRequestList"][0]["ContactId"]


def test_no_client_token_means_no_idempotency() -> None:
    core, _ = make_core()
    cid = running(core)
    a = call_bpc(core, bpc([contact_item(cid)], token=None))
    b = call_bpc(core, bpc([contact_item(cid)], token=None))
    assert a != b


def test_limit_exceeded_and_refill() -> None:
    core, _ = make_core(quotas={"batch_put_contact": {"rate": 1, "burst": 2}})
    cid = running(core)
    for k in range(2):
        call_bpc(core, bpc([contact_item(cid)], token=f"a{k}"))
    with pytest.raises(ServiceError) as e:
        call_bpc(core, bpc([contact_item(cid)], token="b"))
    assert (e.value.code, e.value.status) == ("LimitExceededException", 429)
    call_bpc(core, bpc([contact_item(cid)], token="b"), now=T0 + 1.0)  # refilled by now


def test_internal_service_exception_is_seeded() -> None:
    def outcomes(seed: int) -> list[str]:
        core, _ = make_core(seed=seed, faults={"request_error_probability": 0.5})
        cid = running(core)
        out = []
        for k in range(30):
            try:
                call_bpc(core, bpc([contact_item(cid)], token=f"k{k}"))
                out.append("ok")
            except ServiceError as e:
                assert (e.code, e.status) == ("InternalServiceException", 500)
                out.append(e.code)
        return out

    assert outcomes(3) == outcomes(3)
    assert {"ok", "InternalServiceException"} == set(outcomes(3))


def test_v2_campaign_contacts() -> None:
    core, _ = make_core()
    cid = core.create_campaign(v2_create("agentless"), api="v2", now=T0)
    core.start_campaign(cid, T0)
    out = call_bpc(core, bpc([contact_item(cid)]))
    assert len(out["SuccessfulRequestList"]) == 1


@pytest.mark.parametrize("strategy", [False, True])
def test_replay_is_the_identical_response(strategy: bool) -> None:
    """Successes, every kind of failure, items without RequestIdentifier; the
    fast path (plain items) and pydantic's (an OutboundStrategy) alike."""
    core, sink = make_core()
    cid = running(core)

    def request() -> dict[str, Any]:
        items = [contact_item(cid, i) for i in range(4)]
        items[1]["QueueId"] = "no-such-queue"
        items[2]["RequestIdentifier"] = items[0]["RequestIdentifier"]  # repeated
        del items[3]["RequestIdentifier"]
        items.append({**contact_item(cid, 7), "CustomerEndpoint": {"Type": "VOIP"}})
        if strategy:
            items[0]["OutboundStrategy"] = {"Type": "AGENT_FIRST"}
        return bpc(items)

    first = call_bpc(core, request())
    expected = {k: [dict(e) for e in v] for k, v in first.items()}
    assert len(first["SuccessfulRequestList"]) == 2 and len(first["FailedRequestList"]) == 3
    n = len(sink.events)
    first["FailedRequestList"][0]["FailureReasonCode"] = "mutated by the caller"
    assert call_bpc(core, request(), now=T0 + 10) == expected
    assert len(sink.events) == n

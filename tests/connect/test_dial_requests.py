"""PutDialRequestBatch (v1) and PutOutboundRequestBatch (v2)."""

from __future__ import annotations

import pytest

from sim.connect import ServiceError
from sim.connect.models_campaign import PutDialRequestBatchResponse
from sim.connect.models_campaign_v2 import PutOutboundRequestBatchResponse
from sim.domain import PAYLOAD_KEYS

from .conftest import (
    SYSTEM,
    T0,
    dial_item,
    make_core,
    outbound_item,
    put_dial,
    put_outbound,
    running,
    v1_create,
)


def test_accept_v1_events_and_records() -> None:
    core, sink = make_core()
    cid = running(core)
    n = len(sink.events)
    out = put_dial(core, cid, [dial_item(i) for i in range(3)])
    PutDialRequestBatchResponse.model_validate(out)
    assert [r["clientToken"] for r in out["successfulRequests"]] == ["t0", "t1", "t2"]
    events = sink.events[n:]
    assert [e.type for e in events] == ["DIAL_REQUEST_ACCEPTED"] * 3
    for e, ok in zip(events, out["successfulRequests"], strict=True):
        assert e.stream_id == ok["id"] and e.version == 1
        assert tuple(e.payload) == PAYLOAD_KEYS["DIAL_REQUEST_ACCEPTED"]
        assert e.payload["expiration_time"] == T0 + 600 and e.payload["api"] == "v1"
    (r,) = core.take_arriving(cid, 1, T0)
    assert (r.id, r.version, r.client_token, r.attributes) == (
        out["successfulRequests"][0]["id"],
        1,
        "t0",
        {"n": "0"},
    )


@pytest.mark.parametrize(
    "expiration",
    ["2030-01-01T00:00:00Z", "2030-01-01T00:00:00", "2030-01-01T01:00:00+01:00", 1893456000],
)
def test_wire_timestamps(expiration: object) -> None:
    core, _ = make_core()
    cid = running(core)
    put_dial(core, cid, [dial_item(0, expires=expiration)])  # type: ignore[arg-type]
    (r,) = core.take_arriving(cid, 1, T0)
    assert r.expiration == 1893456000.0


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (dial_item(0, expires=T0), "not in the future"),
        (dial_item(0, phoneNumber="5551234"), "E.164"),
    ],
)
def test_invalid_input(item: dict[str, object], reason: str) -> None:
    core, sink = make_core()
    cid = running(core)
    out = put_dial(core, cid, [item, dial_item(1)])
    (failed,) = out["failedRequests"]
    assert failed["failureCode"] == "InvalidInput" and failed["clientToken"] == "t0"
    rejected = [e for e in sink.events if e.type == "DIAL_REQUEST_REJECTED"]
    assert rejected[0].stream_id == failed["id"] and rejected[0].version == 1
    assert reason in rejected[0].payload["reason"]
    assert tuple(rejected[0].payload) == PAYLOAD_KEYS["DIAL_REQUEST_REJECTED"]
    assert len(out["successfulRequests"]) == 1


def test_shape_violations_are_one_validation_exception() -> None:
    core, _sink = make_core()
    cid = running(core)
    items = [dial_item(0, phoneNumber="x" * 21), dial_item(1, clientToken="bad token!")]
    items[1]["attributes"] = {"bad key": "v"}
    with pytest.raises(ServiceError) as e:
        put_dial(core, cid, items)
    assert (e.value.code, e.value.status) == ("ValidationException", 400)
    for loc in (
        "dialRequests[0].phoneNumber: ",
        "dialRequests[1].clientToken: ",
        'dialRequests[1].attributes["bad key"](key): ',
    ):
        assert loc in e.value.message


def test_idempotent_client_tokens() -> None:
    core, sink = make_core()
    cid = running(core)
    first = put_dial(core, cid, [dial_item(0), dial_item(0, phoneNumber="+15551112222")])
    ids = {r["id"] for r in first["successfulRequests"]}
    assert len(ids) == 1 and core.pending_count(cid) == 1
    n = len(sink.events)
    again = put_dial(core, cid, [dial_item(0)], now=T0 + 5)
    assert again["successfulRequests"][0]["id"] in ids and len(sink.events) == n
    assert core.pending_count(cid) == 1


def test_client_tokens_are_forgotten_after_the_retention() -> None:
    core, _ = make_core(idempotency_retention_s=100)
    cid = running(core)
    far = T0 + 10_000
    first = put_dial(core, cid, [dial_item(i, expires=far) for i in range(3)])
    later = put_dial(core, cid, [dial_item(3, expires=far)], now=T0 + 60)
    # t0..t2 are forgotten at T0 + 100, t3 at T0 + 160.
    again = put_dial(core, cid, [dial_item(0, expires=far)], now=T0 + 101)
    new_id = again["successfulRequests"][0]["id"]
    assert new_id not in {r["id"] for r in first["successfulRequests"]}
    assert core.pending_count(cid) == 5
    replay = put_dial(core, cid, [dial_item(3, expires=far)], now=T0 + 159)
    assert replay["successfulRequests"][0]["id"] == later["successfulRequests"][0]["id"]
    # t0 was remembered again at T0 + 101: until T0 + 201, not T0 + 100.
    same = put_dial(core, cid, [dial_item(0, expires=far)], now=T0 + 200)
    assert same["successfulRequests"][0]["id"] == new_id
    assert core.pending_count(cid) == 5


def test_empty_client_token_is_not_deduplicated() -> None:
    core, _ = make_core()
    cid = running(core)
    put_dial(core, cid, [dial_item(0, clientToken=""), dial_item(1, clientToken="")])
    assert core.pending_count(cid) == 2


def test_buffer_limit_v1_throttled_v2_buffer_limit() -> None:
    core, _ = make_core(buffer_limit=2)
    cid = running(core)
    out = put_dial(core, cid, [dial_item(i) for i in range(3)])
    assert [f["failureCode"] for f in out["failedRequests"]] == ["RequestThrottled"]
    cid2 = running(core, "v2")
    out = put_outbound(core, cid2, [outbound_item(i) for i in range(3)])
    PutOutboundRequestBatchResponse.model_validate(out)
    assert [f["failureCode"] for f in out["failedRequests"]] == ["BufferLimitExceeded"]


def test_v2_telephony_fields_and_other_channels() -> None:
    core, _sink = make_core()
    cid = running(core, "v2")
    amd = {"enableAnswerMachineDetection": False}
    items = [
        outbound_item(
            0, connectSourcePhoneNumber=SYSTEM, ringTimeout=25, answerMachineDetectionConfig=amd
        ),
        outbound_item(1, connectSourcePhoneNumber="+19998887777"),
        {"clientToken": "s", "expirationTime": T0 + 60,
         "channelSubtypeParameters": {"sms": {"destinationPhoneNumber": "+1"}}},
    ]  # fmt: skip
    out = put_outbound(core, cid, items)
    assert [f["failureCode"] for f in out["failedRequests"]] == ["InvalidInput", "InvalidInput"]
    (r,) = core.take_arriving(cid, 5, T0)
    assert (r.api, r.source_phone_number, r.ring_timeout, r.amd_enabled, r.await_prompt) == (
        "v2",
        SYSTEM,
        25.0,
        False,
        None,
    )


def test_v2_union_must_have_one_member() -> None:
    core, _ = make_core()
    cid = running(core, "v2")
    item = {"clientToken": "a", "expirationTime": T0 + 60, "channelSubtypeParameters": {}}
    with pytest.raises(ServiceError, match=r"outboundRequests\[0\]\.channelSubtypeParameters"):
        put_outbound(core, cid, [item])


@pytest.mark.parametrize(
    ("steps", "ok"),
    [([], False), (["start"], True), (["start", "pause"], True), (["start", "stop"], False)],
)
def test_campaign_state_for_dial_requests(steps: list[str], ok: bool) -> None:
    core, _ = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    for s in steps:
        getattr(core, f"{s}_campaign")(cid, T0)
    if ok:
        put_dial(core, cid, [dial_item(0)])
        return
    with pytest.raises(ServiceError) as e:
        put_dial(core, cid, [dial_item(0)])
    assert (e.value.code, e.value.status) == ("InvalidCampaignStateException", 409)
    assert e.value.extra["state"] == core.campaign(cid).state


def test_unknown_campaign_and_throttling() -> None:
    core, _ = make_core(quotas={"put_dial_request_batch": {"rate": 10, "burst": 1}})
    cid = running(core)
    with pytest.raises(ServiceError) as e:
        put_dial(core, "nope", [dial_item(0)])
    assert e.value.code == "ResourceNotFoundException"
    with pytest.raises(ServiceError) as e:
        put_dial(core, cid, [dial_item(0)])
    assert (e.value.code, e.value.status) == ("ThrottlingException", 429)
    put_dial(core, cid, [dial_item(0)], now=T0 + 0.1)


def test_faults_unknown_error_and_internal_server() -> None:
    core, _ = make_core(faults={"item_error_probability": 1.0})
    cid = running(core)
    out = put_dial(core, cid, [dial_item(0)])
    assert out["failedRequests"][0]["failureCode"] == "UnknownError"
    core, _ = make_core(faults={"request_error_probability": 1.0})
    cid = running(core, "v2")
    with pytest.raises(ServiceError) as e:
        put_outbound(core, cid, [outbound_item(0)])
    assert (e.value.code, e.value.status) == ("InternalServerException", 500)

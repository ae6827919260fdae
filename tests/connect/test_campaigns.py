"""Campaign APIs v1 / v2: create, describe, state machine, delete, errors."""

from __future__ import annotations

from typing import Any

import pytest

from sim.connect import ServiceError
from sim.connect.models_campaign import DescribeCampaignResponse, GetCampaignStateBatchResponse
from sim.connect.models_campaign_v2 import DescribeCampaignResponseV2
from sim.domain import PAYLOAD_KEYS

from .conftest import QUEUE, SYSTEM, T0, dial_item, make_core, put_dial, v1_create, v2_create

V1, V2 = "connectcampaigns", "connectcampaignsv2"


def call(core: Any, svc: str, op: str, req: dict[str, Any], now: float = T0) -> Any:
    return core.call(svc, op, req, caller="admin", now=now)


def test_create_and_describe_v1() -> None:
    core, sink = make_core()
    req = {**v1_create("predictive", connectSourcePhoneNumber=SYSTEM), "tags": {"team": "a"}}
    out = call(core, V1, "CreateCampaign", req)
    assert out["tags"] == {"team": "a"} and out["arn"].endswith(out["id"])
    desc = call(core, V1, "DescribeCampaign", {"id": out["id"]})
    DescribeCampaignResponse.model_validate(desc)
    assert desc["campaign"]["dialerConfig"] == req["dialerConfig"]
    c = core.campaign(out["id"])
    assert (c.api, c.mode, c.state, c.queue_id) == ("v1", "predictive", "Initialized", QUEUE)
    assert c.source_phone_number == SYSTEM and c.bandwidth_allocation == 1.0
    (event,) = sink.events
    assert event.type == "CAMPAIGN_CREATED" and event.version == 1
    assert tuple(event.payload) == PAYLOAD_KEYS["CAMPAIGN_CREATED"]


@pytest.mark.parametrize("mode", ["progressive", "predictive", "agentless", "preview"])
def test_create_v2_modes(mode: str) -> None:
    core, _ = make_core()
    amd = {"enableAnswerMachineDetection": True, "awaitAnswerMachinePrompt": True}
    req = v2_create(mode, answerMachineDetectionConfig=amd, ringTimeout=20)
    cid = core.create_campaign(req, api="v2", now=T0, campaign_id="fixed-id")
    assert cid == "fixed-id"
    c = core.campaign(cid)
    assert c.mode == mode and c.amd_enabled and c.await_answer_machine_prompt
    assert c.ring_timeout_s == 20.0
    assert c.preview_timeout_s == (30.0 if mode == "preview" else None)
    assert c.abandonment_target == (0.03 if mode == "predictive" else None)
    desc = call(core, V2, "DescribeCampaign", {"id": cid})
    DescribeCampaignResponseV2.model_validate(desc)


def test_v2_bandwidth_up_to_two_v1_up_to_one() -> None:
    core, _ = make_core()
    core.create_campaign(v2_create("progressive"), api="v2", now=T0)  # 1.5 allowed in v2
    req = v1_create()
    req["dialerConfig"]["progressiveDialerConfig"]["bandwidthAllocation"] = 1.5
    with pytest.raises(ServiceError, match=r"dialerConfig\.progressiveDialerConfig\.band"):
        core.create_campaign(req, api="v1", now=T0)


@pytest.mark.parametrize(
    ("req", "code", "fragment"),
    [
        ({"name": ""}, "ValidationException", "name: "),
        ({"dialerConfig": {}}, "ValidationException", "dialerConfig: "),
        ({"connectInstanceId": "other"}, "ResourceNotFoundException", "instance"),
        ({"outboundCallConfig": {"connectContactFlowId": "f", "connectQueueId": "zz"}},
         "ValidationException", "outboundCallConfig.connectQueueId"),
        ({"outboundCallConfig": {"connectContactFlowId": "f", "connectQueueId": QUEUE,
                                 "connectSourcePhoneNumber": "+1999"}},
         "ValidationException", "connectSourcePhoneNumber"),
    ],
)  # fmt: skip
def test_create_errors(req: dict[str, Any], code: str, fragment: str) -> None:
    core, sink = make_core()
    with pytest.raises(ServiceError) as e:
        call(core, V1, "CreateCampaign", {**v1_create(), **req})
    assert e.value.code == code and fragment in e.value.message
    assert sink.events == []


def test_contact_flow_restriction_and_quota() -> None:
    core, _ = make_core(contact_flows=("flow-9",), max_campaigns=1)
    with pytest.raises(ServiceError, match="connectContactFlowId"):
        core.create_campaign(v1_create(), api="v1", now=T0)
    req = v1_create()
    req["outboundCallConfig"]["connectContactFlowId"] = "flow-9"
    core.create_campaign(req, api="v1", now=T0)
    with pytest.raises(ServiceError) as e:
        core.create_campaign(req, api="v1", now=T0)
    assert (e.value.code, e.value.status) == ("ServiceQuotaExceededException", 402)


def test_v2_requires_telephony() -> None:
    core, _ = make_core()
    with pytest.raises(ServiceError, match="telephony"):
        core.create_campaign({"name": "x", "connectInstanceId": "inst-1"}, api="v2", now=T0)


TRANSITIONS = [
    ("Initialized", "StartCampaign", "Running"),
    ("Running", "PauseCampaign", "Paused"),
    ("Paused", "ResumeCampaign", "Running"),
    ("Running", "StopCampaign", "Stopped"),
    ("Paused", "StopCampaign", "Stopped"),
]
PATHS = {
    "Initialized": [],
    "Running": ["StartCampaign"],
    "Paused": ["StartCampaign", "PauseCampaign"],
    "Stopped": ["StartCampaign", "StopCampaign"],
}
OPS = ["StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign"]


@pytest.mark.parametrize("svc", [V1, V2])
@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("op", OPS)
def test_state_machine(svc: str, state: str, op: str) -> None:
    core, sink = make_core()
    api = "v1" if svc == V1 else "v2"
    cid = core.create_campaign(v1_create() if api == "v1" else v2_create(), api=api, now=T0)
    for step in PATHS[state]:
        call(core, svc, step, {"id": cid})
    allowed = {(s, o): t for s, o, t in TRANSITIONS}
    n = len(sink.events)
    if (state, op) in allowed:
        assert call(core, svc, op, {"id": cid}) == {}
        assert call(core, svc, "GetCampaignState", {"id": cid}) == {"state": allowed[state, op]}
        event = sink.events[n]
        assert event.type == "CAMPAIGN_STATE_CHANGED" and event.version == len(PATHS[state]) + 2
        assert event.payload == {"state": allowed[state, op], "previous": state}
    else:
        with pytest.raises(ServiceError) as e:
            call(core, svc, op, {"id": cid})
        assert (e.value.code, e.value.status) == ("InvalidCampaignStateException", 409)
        assert e.value.extra == {"state": state} and e.value.body()["state"] == state
        assert len(sink.events) == n


def test_stop_expires_buffer_pause_keeps_it() -> None:
    core, sink = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    core.start_campaign(cid, T0)
    put_dial(core, cid, [dial_item(i) for i in range(3)])
    core.pause_campaign(cid, T0 + 1)
    assert core.pending_count(cid) == 3
    core.stop_campaign(cid, T0 + 2)
    assert core.pending_count(cid) == 0
    expired = [e for e in sink.events if e.type == "DIAL_REQUEST_EXPIRED"]
    assert len(expired) == 3
    assert all(e.payload["reason"] == "campaign_stopped" and e.version == 2 for e in expired)
    assert all(e.time == T0 + 2 for e in expired)


def test_delete_running_campaign_stops_it_first() -> None:
    core, sink = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    core.start_campaign(cid, T0)
    put_dial(core, cid, [dial_item(0)])
    assert call(core, V1, "DeleteCampaign", {"id": cid}) == {}
    assert [e.type for e in sink.events[-2:]] == ["CAMPAIGN_STATE_CHANGED", "DIAL_REQUEST_EXPIRED"]
    with pytest.raises(ServiceError) as e:
        call(core, V1, "DescribeCampaign", {"id": cid})
    assert e.value.status == 404
    assert core.campaigns() == []


def test_services_do_not_see_each_others_campaigns() -> None:
    core, _ = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    with pytest.raises(ServiceError) as e:
        call(core, V2, "GetCampaignState", {"id": cid})
    assert e.value.code == "ResourceNotFoundException"


def test_get_campaign_state_batch() -> None:
    core, _ = make_core()
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    out = call(core, V1, "GetCampaignStateBatch", {"campaignIds": [cid, "nope"]})
    GetCampaignStateBatchResponse.model_validate(out)
    assert out["successfulRequests"] == [{"campaignId": cid, "state": "Initialized"}]
    assert out["failedRequests"] == [{"campaignId": "nope", "failureCode": "ResourceNotFound"}]


def test_unknown_operation_and_bad_request() -> None:
    core, _ = make_core()
    with pytest.raises(ServiceError) as e:
        call(core, "connect", "DescribeContact", {})
    assert (e.value.code, e.value.status) == ("UnknownOperationException", 404)
    with pytest.raises(ServiceError) as e:
        call(core, V2, "GetCampaignStateBatch", {})
    assert e.value.code == "UnknownOperationException"
    with pytest.raises(ServiceError) as e:
        call(core, V1, "DescribeCampaign", ["not", "a", "dict"])  # type: ignore[arg-type]
    assert (e.value.code, e.value.status) == ("ValidationException", 400)
    assert e.value.body() == {"message": e.value.message}


def test_campaign_control_throttling_in_callers_clock() -> None:
    core, _ = make_core(quotas={"campaign_control": {"rate": 1, "burst": 2}})
    cid = core.create_campaign(v1_create(), api="v1", now=T0)
    call(core, V1, "StartCampaign", {"id": cid})
    call(core, V1, "PauseCampaign", {"id": cid})
    with pytest.raises(ServiceError) as e:
        call(core, V1, "ResumeCampaign", {"id": cid})
    assert (e.value.code, e.value.status) == ("ThrottlingException", 429)
    with pytest.raises(ServiceError):
        call(core, V1, "ResumeCampaign", {"id": cid}, now=T0 + 0.5)  # half a token
    call(core, V1, "ResumeCampaign", {"id": cid}, now=T0 + 1.0)
    with pytest.raises(ServiceError):  # a clock going backwards refills nothing
        call(core, V1, "PauseCampaign", {"id": cid}, now=T0)
    call(core, V1, "PauseCampaign", {"id": cid}, now=T0 + 2.0)


def test_v2_pacing_strategy_is_kept_whole() -> None:
    core, _ = make_core()
    cid = core.create_campaign(v2_create("predictive"), api="v2", now=T0)
    c = core.campaign(cid)
    assert (c.connection_start_point, c.connection_threshold_s) == ("GREETING_END", 2.0)
    assert c.evaluation_window_s == 24 * 3600.0

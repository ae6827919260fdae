"""Every operation checks in one order: the request alone (shape, then the
settings derived from it), then the resources it names, then their state.

So a malformed request is the same ValidationException whether its campaign
exists or in which state it is, and a well-formed one on an unknown campaign
is ResourceNotFoundException whatever the campaign's state would be.
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.connect import ServiceError

from .conftest import INSTANCE, T0, dial_item, make_core, outbound_item, v2_create

V1, V2 = "connectcampaigns", "connectcampaignsv2"
SCHEDULE = {"startTime": "2023-11-14T22:13:20Z", "endTime": "2023-11-15T22:13:20Z"}
BACKWARDS = {"startTime": SCHEDULE["endTime"], "endTime": SCHEDULE["startTime"]}
TIME = {"localTimeZoneConfig": {"defaultTimeZone": "America/Chicago"}}
LIMITS = {
    "allChannelSubtypes": {
        "communicationLimitsList": [{"maxCountPerRecipient": 3, "frequency": 7, "unit": "DAY"}]
    }
}

# (service, operation, a good body, bad bodies: the model's shape, then settings
# only the simulator's derivation refuses), each without "id".
BODIES: list[tuple[str, str, dict[str, Any], list[dict[str, Any]]]] = [
    (
        V1,
        "PutDialRequestBatch",
        {"dialRequests": [dial_item()]},
        [{"dialRequests": [dial_item(phoneNumber="+1٥٥٥0100")]}, {"dialRequests": []}],
    ),
    (
        V2,
        "PutOutboundRequestBatch",
        {"outboundRequests": [outbound_item()]},
        [{"outboundRequests": [outbound_item(destinationPhoneNumber="+1x")]}],
    ),
    (
        V2,
        "UpdateCampaignSchedule",
        {"schedule": SCHEDULE},
        [{"schedule": {**SCHEDULE, "startTime": "2023-١١-14T22:13:20Z"}}, {"schedule": BACKWARDS}],
    ),
    (
        V2,
        "UpdateCampaignCommunicationTime",
        {"communicationTimeConfig": TIME},
        [
            {"communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": 3}}},
            {"communicationTimeConfig": {"localTimeZoneConfig": {"defaultTimeZone": "Mars/X"}}},
        ],
    ),
    (
        V2,
        "UpdateCampaignCommunicationLimits",
        {"communicationLimitsOverride": LIMITS},
        [{"communicationLimitsOverride": {"allChannelSubtypes": {"communicationLimitsList": 1}}}],
    ),
]
# State operations: only the id in the request.
STATE_OPS = ["StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign", "DeleteCampaign"]


def code(core: Any, service: str, operation: str, request: dict[str, Any]) -> str:
    try:
        core.call(service, operation, request, caller="x", now=T0)
    except ServiceError as error:
        return error.code
    return "OK"


def campaign_in_wrong_state(core: Any, service: str, operation: str) -> str:
    """A campaign of ``service`` that ``operation`` refuses for its state."""
    api = "v1" if service == V1 else "v2"
    request: dict[str, Any] = v2_create("agentless") if api == "v2" else {}
    if api == "v1":
        from .conftest import v1_create

        request = v1_create("agentless")
    cid = core.create_campaign(request, api=api, now=T0)
    if operation.startswith("Update"):
        core.start_campaign(cid, T0)  # Update* only while Initialized
    # Put*Batch needs Running or Paused: Initialized is wrong already.
    return cid


@pytest.mark.parametrize(
    ("service", "operation", "good", "bad"),
    [(s, o, g, b) for s, o, g, bads in BODIES for b in bads],
    ids=[f"{o}-{i}" for _, o, _, bads in BODIES for i in range(len(bads))],
)
def test_a_malformed_request_is_invalid_before_any_lookup_or_state(
    service: str, operation: str, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    core, sink = make_core()
    cid = campaign_in_wrong_state(core, service, operation)
    before = len(sink.events)
    assert code(core, service, operation, {"id": cid, **good}) == "InvalidCampaignStateException"
    assert code(core, service, operation, {"id": "no-such-campaign", **good}) == (
        "ResourceNotFoundException"
    )
    for target in ("no-such-campaign", cid):
        assert code(core, service, operation, {"id": target, **bad}) == "ValidationException"
    assert len(sink.events) == before  # nothing refused left a trace


@pytest.mark.parametrize("service", [V1, V2])
@pytest.mark.parametrize("operation", STATE_OPS)
def test_a_malformed_id_is_invalid_before_any_lookup(service: str, operation: str) -> None:
    core, _ = make_core()
    assert code(core, service, operation, {"id": "x" * 257}) == "ValidationException"
    assert code(core, service, operation, {"id": "no-such"}) == "ResourceNotFoundException"


def test_create_campaign_checks_its_settings_before_the_instance() -> None:
    core, _ = make_core()
    request = {**v2_create(), "connectInstanceId": "other-instance", "schedule": BACKWARDS}
    assert code(core, V2, "CreateCampaign", request) == "ValidationException"
    request["schedule"] = SCHEDULE
    assert code(core, V2, "CreateCampaign", request) == "ResourceNotFoundException"
    request["connectInstanceId"] = INSTANCE
    assert code(core, V2, "CreateCampaign", request) == "OK"

"""What botocore's service models say about each served operation, for the tests.

- ``documented(op)``: the (error type, HTTP status) pairs an operation may
  answer: the ``errors`` its model declares, with their modelled status, plus
  the protocol-level errors every operation shares (``COMMON``, the table of
  docs/server.md).
- ``scalar_leaves(op)``: every integer / long / boolean / double / float /
  timestamp member of its input shape, as paths (list items as ``0``).
- ``valid_requests(op)``: well-formed requests (labels, body) for the
  built-in instance plus ``PREVIEW_V2`` and ``SETTINGS_V2`` (see
  ``oracle_campaigns``), together covering every scalar leaf.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import botocore.session
from botocore.model import OperationModel, Shape
from botocore.retries.standard import ThrottledRetryableChecker

from sim.server import OPERATIONS, Operation

from .conftest import INSTANCE, V1, V2

SESSION = botocore.session.get_session()
PREVIEW_V2 = "preview-v2"  # a preview campaign added to the built-in scenario
SETTINGS_V2 = "settings-v2"  # a v2 campaign left Initialized, for the Update* operations

VALIDATION = {
    "connect": "InvalidRequestException",
    "connectcampaigns": "ValidationException",
    "connectcampaignsv2": "ValidationException",
}
THROTTLING = {
    "connect": "LimitExceededException",
    "connectcampaigns": "ThrottlingException",
    "connectcampaignsv2": "ThrottlingException",
}
# Members accepted as opaque JSON (not simulated): tests/connect/test_oracle.py.
OPAQUE = frozenset(
    {
        "source",
        "entryLimitsConfig",
        "sms",
        "email",
        "whatsApp",
    }
)
SCALARS = frozenset({"integer", "long", "boolean", "double", "float", "timestamp"})


def common(service: str) -> set[tuple[str, int]]:
    """Protocol-level errors any operation may answer (docs/server.md, Errors)."""
    return {
        ("SerializationException", 400),  # body not a JSON object
        ("AccessDeniedException", 403),  # unsigned request
        ("UnknownOperationException", 404),  # no operation at this path
        ("UnknownOperationException", 405),  # wrong method for the path
        ("RequestEntityTooLargeException", 413),
        (VALIDATION[service], 415),  # Content-Type not JSON
        # botocore's standard retry mode treats it as throttling, whatever the model.
        (THROTTLING[service], 429),
    }


def throttling_codes() -> list[str]:
    return list(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)


def model_of(op: Operation) -> OperationModel:
    return SESSION.get_service_model(op.service).operation_model(op.name)


def documented(op: Operation) -> set[tuple[str, int]]:
    """(error type, status) pairs ``op`` may answer."""
    declared = {
        (shape.name, int(shape.metadata["error"]["httpStatusCode"]))
        for shape in model_of(op).error_shapes
    }
    return declared | common(op.service)


Path = tuple[str | int, ...]


def _walk(shape: Shape, path: Path, out: list[tuple[Path, str]], seen: tuple[str, ...]) -> None:
    kind = shape.type_name
    if kind in SCALARS:
        out.append((path, kind))
    elif kind == "list":
        _walk(shape.member, (*path, 0), out, seen)
    elif kind == "structure" and shape.name not in seen:
        for name, member in shape.members.items():
            if name in OPAQUE or member.serialization.get("location"):
                continue
            _walk(member, (*path, name), out, (*seen, shape.name))


def scalar_leaves(op: Operation) -> list[tuple[Path, str]]:
    """Every scalar member of the input's JSON body: (path, botocore type)."""
    out: list[tuple[Path, str]] = []
    _walk(model_of(op).input_shape, (), out, ())
    return out


class Request(NamedTuple):
    labels: dict[str, str]
    body: dict[str, Any]


def expires(hours: float = 24.0) -> str:
    """An ISO 8601 expirationTime, as botocore sends it."""
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def contact_item(rid: str = "r1", campaign: str = V1, **changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "RequestIdentifier": rid,
        "CustomerEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15557654321"},
        "SystemEndpoint": {"Type": "TELEPHONE_NUMBER", "Address": "+15550100"},
        "QueueId": "default",
        "Campaign": {"CampaignId": campaign},
        "Attributes": {"order": "1"},
    }
    item.update(changes)
    return item


PREVIEW_STRATEGY = {
    "Type": "AGENT_FIRST",
    "Config": {
        "AgentFirst": {
            "Preview": {
                "PostAcceptTimeoutConfig": {"DurationInSeconds": 30},
                "AllowedUserActions": ["CALL", "DISCARD"],
            }
        }
    },
}
AMD = {"enableAnswerMachineDetection": True, "awaitAnswerMachinePrompt": False}


def _v1_create(dialer: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "fuzz v1",
        "connectInstanceId": INSTANCE,
        "dialerConfig": dialer,
        "outboundCallConfig": {
            "connectContactFlowId": "flow",
            "connectSourcePhoneNumber": "+15550100",
            "connectQueueId": "default",
            "answerMachineDetectionConfig": dict(AMD),
        },
        "tags": {"team": "a"},
    }


def _v2_create(mode: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "fuzz v2",
        "connectInstanceId": INSTANCE,
        "channelSubtypeConfig": {
            "telephony": {
                "capacity": 1.0,
                "connectQueueId": "default",
                "outboundMode": mode,
                "defaultOutboundConfig": {
                    "connectContactFlowId": "flow",
                    "connectSourcePhoneNumber": "+15550100",
                    "answerMachineDetectionConfig": dict(AMD),
                    "ringTimeout": 30,
                },
            }
        },
    }


TIME = {
    "localTimeZoneConfig": {
        "defaultTimeZone": "America/Chicago",
        "localTimeZoneDetection": ["AREA_CODE"],
    },
    "telephony": {
        "openHours": {"dailyHours": {"MONDAY": [{"startTime": "T09:00", "endTime": "T21:00"}]}},
        "restrictedPeriods": {
            "restrictedPeriodList": [
                {"name": "July 4", "startDate": "2024-07-04", "endDate": "2024-07-05"}
            ]
        },
    },
}
LIMITS = {"communicationLimitsList": [{"maxCountPerRecipient": 3, "frequency": 7, "unit": "DAY"}]}
SCHEDULE = {
    "startTime": "2023-11-14T22:13:20Z",
    "endTime": "2033-11-15T22:13:20Z",
    "refreshFrequency": "P1D",
}


def oracle_campaigns() -> list[dict[str, Any]]:
    """Scenario campaigns the valid requests address: a v2 preview campaign and
    a v2 campaign whose only schedule entry starts it a year in, so it stays
    Initialized (the one state the Update* operations accept)."""
    start_late = [{"at": "365d", "action": "start"}]
    return [
        {"id": PREVIEW_V2, "mode": "preview", "api": "v2", "queue": "default"},
        {"id": SETTINGS_V2, "mode": "progressive", "api": "v2", "queue": "default"}
        | {"schedule": start_late},
    ]


_PACING = {
    "abandonmentRate": {
        "targetRate": 0.03,
        "connectionStartPoint": "CONNECTED_TO_SYSTEM",
        "connectionThresholdSeconds": 2,
        "evaluationWindow": "PT24H",
    }
}


def valid_requests(op: Operation) -> list[Request]:
    """Well-formed requests of ``op``; each is accepted (or a modelled state error)."""
    ids = {"connectcampaigns": V1, "connectcampaignsv2": V2}
    name = (op.service, op.name)
    if name == ("connect", "BatchPutContact"):
        preview = contact_item("p1", PREVIEW_V2, OutboundStrategy=PREVIEW_STRATEGY)
        return [
            Request({"InstanceId": INSTANCE}, {"ContactDataRequestList": [contact_item()]}),
            Request({"InstanceId": INSTANCE}, {"ContactDataRequestList": [preview]}),
        ]
    if name == ("connect", "DescribeContact"):
        return [Request({"InstanceId": INSTANCE, "ContactId": "no-such-contact"}, {})]
    if name == ("connectcampaigns", "CreateCampaign"):
        return [
            Request(
                {},
                _v1_create(
                    {"progressiveDialerConfig": {"bandwidthAllocation": 1.0, "dialingCapacity": 1}}
                ),
            ),
            Request(
                {},
                _v1_create(
                    {"predictiveDialerConfig": {"bandwidthAllocation": 0.5, "dialingCapacity": 1}}
                ),
            ),
            Request({}, _v1_create({"agentlessDialerConfig": {"dialingCapacity": 0.5}})),
        ]
    if name == ("connectcampaignsv2", "CreateCampaign"):
        preview = {"bandwidthAllocation": 1.0, "timeoutConfig": {"durationInSeconds": 30}}
        planned = _v2_create({"progressive": {"bandwidthAllocation": 1.0}}) | {
            "communicationTimeConfig": TIME,
            "communicationLimitsOverride": {"allChannelSubtypes": LIMITS},
            "schedule": SCHEDULE,
        }
        return [
            Request({}, planned),
            Request(
                {},
                _v2_create(
                    {"predictive": {"bandwidthAllocation": 1.0, "pacingStrategies": [_PACING]}}
                ),
            ),
            Request({}, _v2_create({"preview": preview})),
        ]
    if name == ("connectcampaigns", "GetCampaignStateBatch"):
        return [Request({}, {"campaignIds": [V1, "missing"]})]
    if name == ("connectcampaigns", "PutDialRequestBatch"):
        item = {
            "clientToken": "tok-1",
            "phoneNumber": "+15551230000",
            "expirationTime": expires(),
            "attributes": {"a": "b"},
        }
        return [Request({"id": V1}, {"dialRequests": [item]})]
    if name == ("connectcampaignsv2", "PutOutboundRequestBatch"):
        telephony = {
            "destinationPhoneNumber": "+15551230001",
            "attributes": {"a": "b"},
            "connectSourcePhoneNumber": "+15550100",
            "answerMachineDetectionConfig": dict(AMD),
            "ringTimeout": 30,
        }
        item = {
            "clientToken": "tok-2",
            "expirationTime": expires(),
            "channelSubtypeParameters": {"telephony": telephony},
        }
        return [Request({"id": V2}, {"outboundRequests": [item]})]
    if name == ("connectcampaignsv2", "UpdateCampaignCommunicationTime"):
        return [Request({"id": SETTINGS_V2}, {"communicationTimeConfig": TIME})]
    if name == ("connectcampaignsv2", "UpdateCampaignCommunicationLimits"):
        limits = {"allChannelSubtypes": LIMITS, "instanceLimitsHandling": "OPT_IN"}
        return [Request({"id": SETTINGS_V2}, {"communicationLimitsOverride": limits})]
    if name == ("connectcampaignsv2", "UpdateCampaignSchedule"):
        return [Request({"id": SETTINGS_V2}, {"schedule": SCHEDULE})]
    if name == ("connectcampaignsv2", "PutInstanceCommunicationLimits"):
        config = {"allChannelSubtypes": LIMITS}
        return [Request({"connectInstanceId": INSTANCE}, {"communicationLimitsConfig": config})]
    if name == ("connectcampaignsv2", "GetInstanceCommunicationLimits"):
        return [Request({"connectInstanceId": INSTANCE}, {})]
    if name == ("connectcampaignsv2", "ListCampaigns"):
        filters = {"instanceIdFilter": {"value": INSTANCE, "operator": "Eq"}}
        return [Request({}, {"maxResults": 10, "filters": filters}), Request({}, {})]
    # Describe / Delete / Start / Pause / Resume / Stop / GetCampaignState: the id only.
    return [Request({"id": ids[op.service]}, {})]


def ops() -> tuple[Operation, ...]:
    return OPERATIONS

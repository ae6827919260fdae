"""JSON types exactly as botocore's models declare them, for every scalar member.

For each operation, botocore's input shape lists every integer, boolean,
double and timestamp member; each is sent with a wrong JSON type (a string
for a number, a number for a boolean, a number for an ISO 8601 timestamp)
and must get the service's validation error, or, inside a BatchPutContact
item member that has its own failure code, that item's failure.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import orjson
import pytest

from sim.connect.contacts import ITEM_MEMBER_CODES
from sim.scenario import parse_scenario
from sim.server import OPERATIONS, Operation, create_app

from .conftest import NO_THROTTLE, PRINCIPAL_KEY, Asgi, Reply, scenario
from .oracle import VALIDATION, Path, Request, oracle_campaigns, scalar_leaves, valid_requests

BODY_OPS = [op for op in OPERATIONS if scalar_leaves(op)]
WRONG: dict[str, list[Any]] = {
    "integer": ["30", 30.5, True, [30], {"value": 30}],
    "long": ["30", 30.5, True],
    "double": ["0.5", True, [0.5]],
    "float": ["0.5", True],
    "boolean": ["yes", "true", 1, 0, [True]],
    "timestamp": [1_900_000_000, 1_900_000_000.5, "1900000000", True, {"t": 1}],
}


def strict_scenario() -> Any:
    data = scenario()
    for campaign in data["campaigns"]:
        campaign["bandwidth_allocation"] = 0.25
    data["campaigns"] += [c | {"bandwidth_allocation": 0.25} for c in oracle_campaigns()]
    return parse_scenario(data)


@pytest.fixture(scope="module")
def asgi() -> Iterator[Asgi]:
    client = Asgi(create_app(strict_scenario(), quotas=NO_THROTTLE))
    yield client
    client.close()


def path_of(op: Operation, labels: dict[str, str]) -> str:
    """The request URI as botocore renders it (every label percent-encoded)."""
    return op.uri.format(**{k: quote(v, safe="~") for k, v in labels.items()})


def send(asgi: Asgi, op: Operation, request: Request) -> Reply:
    body = orjson.dumps(request.body) if request.body else b""
    return asgi.request(op.method, path_of(op, request.labels), body, key=PRINCIPAL_KEY)


def has_path(body: Any, path: Path) -> bool:
    for part in path:
        if isinstance(part, int):
            if not isinstance(body, list) or not body:
                return False
            body = body[0]
        elif not isinstance(body, dict) or part not in body:
            return False
        else:
            body = body[part]
    return True


def replaced(body: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    node: Any = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def cases() -> list[tuple[Operation, Path, str]]:
    return [(op, path, kind) for op in BODY_OPS for path, kind in scalar_leaves(op)]


@pytest.mark.parametrize("op", BODY_OPS, ids=lambda o: f"{o.service}.{o.name}")
def test_every_scalar_member_is_in_a_valid_request(op: Operation) -> None:
    bodies = [r.body for r in valid_requests(op)]
    missing = [p for p, _ in scalar_leaves(op) if not any(has_path(b, p) for b in bodies)]
    assert not missing, f"no valid request of {op.name} sets {missing}"


@pytest.mark.parametrize("op", BODY_OPS, ids=lambda o: f"{o.service}.{o.name}")
def test_the_valid_requests_are_accepted(asgi: Asgi, op: Operation) -> None:
    for request in valid_requests(op):
        reply = send(asgi, op, request)
        assert reply.status == 200, reply.body
        body = reply.json()
        failed = body.get("FailedRequestList", body.get("failedRequests", []))
        assert failed == [], failed


@pytest.mark.parametrize(
    ("op", "path", "kind"),
    cases(),
    ids=lambda c: f"{c.service}.{c.name}" if isinstance(c, Operation) else str(c),
)
def test_a_wrong_json_type_is_refused(asgi: Asgi, op: Operation, path: Path, kind: str) -> None:
    request = next(r for r in valid_requests(op) if has_path(r.body, path))
    member = str(path[-1])
    for wrong in WRONG[kind]:
        body = replaced(request.body, path, wrong)
        reply = send(asgi, op, Request(request.labels, body))
        item_member = op.name == "BatchPutContact" and path[2] in ITEM_MEMBER_CODES
        if item_member:
            # A violation inside an item member with its own failure code fails the item.
            assert reply.status == 200, reply.body
            (failure,) = reply.json()["FailedRequestList"]
            assert failure["FailureReasonCode"] == ITEM_MEMBER_CODES[str(path[2])]
            assert member in failure["FailureReasonMessage"]
            continue
        assert (reply.status, reply.code) == (400, VALIDATION[op.service]), (wrong, reply.body)
        assert member in reply.json()["message"], reply.body


def test_the_issue_examples(asgi: Asgi) -> None:
    """``ringTimeout: "30"`` and ``enableAnswerMachineDetection: "yes"`` were accepted."""
    op = next(
        o for o in OPERATIONS if (o.service, o.name) == ("connectcampaignsv2", "CreateCampaign")
    )
    base = valid_requests(op)[0].body
    config = ("channelSubtypeConfig", "telephony", "defaultOutboundConfig")
    for path, value in (
        ((*config, "ringTimeout"), "30"),
        ((*config, "answerMachineDetectionConfig", "enableAnswerMachineDetection"), "yes"),
    ):
        reply = send(asgi, op, Request({}, replaced(base, path, value)))
        assert (reply.status, reply.code) == (400, "ValidationException")
        assert reply.json()["message"].startswith(".".join(path))

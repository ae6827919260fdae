"""Malformed, mis-typed, oversized and misrouted requests: AWS-shaped 4xx, still serving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.client import HTTPConnection

import httpx
import pytest

from sim.server import ServerHandle

from .conftest import V1
from .test_api import v2_create

SIGNED = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDUSER/20260101/us-east-1/"
    "connect-campaigns/aws4_request, SignedHeaders=host, Signature=0"
}
BPC = "/contact/batch/default-instance"


@pytest.fixture(scope="module")
def http(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.endpoint_url, headers=SIGNED, timeout=10) as client:
        yield client


def assert_aws_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == code
    body = response.json()
    assert body["message"] == body["Message"] != ""


def assert_still_serving(http: httpx.Client) -> None:
    response = http.get(f"/campaigns/{V1}/state")
    assert response.status_code == 200
    assert response.json() == {"state": "Running"}


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_json(http: httpx.Client, body: bytes) -> None:
    response = http.put(
        f"/campaigns/{V1}/dial-requests",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert_aws_error(response, 400, "SerializationException")
    assert_still_serving(http)


def test_wrong_content_type(http: httpx.Client) -> None:
    response = http.put(
        f"/campaigns/{V1}/dial-requests", content=b"a=b", headers={"Content-Type": "text/plain"}
    )
    assert_aws_error(response, 415, "ValidationException")
    response = http.put(BPC, content=b"a=b", headers={"Content-Type": "text/plain"})
    assert_aws_error(response, 415, "InvalidRequestException")
    assert_still_serving(http)


@pytest.mark.parametrize("kind", ["application/json", "application/x-amz-json-1.1"])
def test_json_content_types_accepted(http: httpx.Client, kind: str) -> None:
    response = http.post(
        "/campaigns-state", content=b'{"campaignIds": []}', headers={"Content-Type": kind}
    )
    assert response.status_code == 400  # the core's own check: 1..25 ids
    assert response.headers["x-amzn-ErrorType"] == "ValidationException"


def test_unknown_path_and_wrong_method(http: httpx.Client) -> None:
    assert_aws_error(http.get("/no/such/path"), 404, "UnknownOperationException")
    wrong = http.delete(f"/campaigns/{V1}/start")
    assert_aws_error(wrong, 405, "UnknownOperationException")
    assert wrong.headers["Allow"] == "POST"
    assert_aws_error(http.patch(f"/campaigns/{V1}"), 405, "UnknownOperationException")
    assert_still_serving(http)


def test_oversize_body(http: httpx.Client) -> None:
    big = b'{"x": "' + b"a" * (2 << 20) + b'"}'
    declared = http.put(BPC, content=big, headers={"Content-Type": "application/json"})
    assert_aws_error(declared, 413, "RequestEntityTooLargeException")

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"a" * 65536

    streamed = http.put(BPC, content=chunks(), headers={"Content-Type": "application/json"})
    assert_aws_error(streamed, 413, "RequestEntityTooLargeException")
    assert_still_serving(http)


def test_wrong_types_in_valid_json(http: httpx.Client) -> None:
    response = http.put(
        f"/campaigns/{V1}/dial-requests",
        json={"dialRequests": "not a list"},
    )
    assert_aws_error(response, 400, "ValidationException")
    principal = {"Authorization": SIGNED["Authorization"].replace("AKIDUSER", "AKIDCAMPAIGNS")}
    for body in ({"ContactDataRequestList": [{"CustomerEndpoint": 5}]}, {"InstanceId": 3}, {}):
        response = http.put(BPC, json=body, headers=principal)
        assert response.status_code < 500
        if response.status_code != 200:
            assert response.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    assert_still_serving(http)


JUNK = [
    {},
    {"id": None},
    {"dialRequests": [None, 1, "x", {}]},
    {"outboundRequests": [{"expirationTime": "yesterday"}]},
    {"ContactDataRequestList": [{}], "ClientToken": 7},
    {"campaignIds": [1, None]},
    {"name": ["x"], "connectInstanceId": {}, "dialerConfig": 5},
    {"channelSubtypeConfig": {"telephony": None}},
    {"x": 1e308, "y": -(10**30), "z": [[[[]]]]},
]


@pytest.mark.parametrize("body", JUNK, ids=range(len(JUNK)))
def test_junk_never_a_server_error(http: httpx.Client, body: dict[str, object]) -> None:
    from sim.server import OPERATIONS

    principal = {"Authorization": SIGNED["Authorization"].replace("AKIDUSER", "AKIDCAMPAIGNS")}
    for op in OPERATIONS:
        path = op.uri.format(
            id="x" * 300,
            InstanceId="default-instance",
            ContactId="é",
            connectInstanceId="default-instance",
        )
        response = http.request(op.method, path, json=body, headers=principal)
        assert response.status_code < 500, (op.name, response.text)
        if response.status_code >= 400:
            assert response.headers["x-amzn-ErrorType"]
    assert_still_serving(http)


def nested(depth: int) -> bytes:
    return b'{"a": ' * depth + b"{}" + b"}" * depth


V2_CREATE = json.dumps(v2_create()).encode()
KEEP_ALIVE_CASES: list[tuple[str, str, bytes, int, str]] = [
    ("PUT", f"/campaigns/{V1}/dial-requests", b"{not json", 400, "SerializationException"),
    ("PUT", BPC, b'{"x": "' + b"a" * (2 << 20) + b'"}', 413, "RequestEntityTooLargeException"),
    ("PUT", BPC, nested(2000), 400, "SerializationException"),
    # Past orjson's 255 levels on output: the idempotency digest of BatchPutContact.
    (
        "PUT",
        BPC,
        b'{"ClientToken": "deep", "ContactDataRequestList": [{}], "x": ' + nested(400) + b"}",
        400,
        "InvalidRequestException",
    ),
    # ... and a v2 CreateCampaign, whose members DescribeCampaign echoes back.
    (
        "PUT",
        "/v2/campaigns",
        V2_CREATE[:-1] + b', "schedule": ' + nested(400) + b"}",
        400,
        "ValidationException",
    ),
    ("GET", "/no/such/path", b"", 404, "UnknownOperationException"),
    ("GET", f"/campaigns/{V1}/state/", b"", 404, "UnknownOperationException"),
    ("POST", f"/campaigns/{V1}/state", b"", 405, "UnknownOperationException"),
    ("GET", "/contacts/default-instance/" + "c" * 300, b"", 400, "InvalidRequestException"),
    ("GET", "/v2/campaigns/%FF/state", b"", 400, "ValidationException"),
]


def test_bad_requests_keep_the_connection_alive(server: ServerHandle) -> None:
    """One persistent HTTP/1.1 connection: each bad request is answered, and the
    next normal request on the same connection succeeds."""
    connection = HTTPConnection("127.0.0.1", server.port, timeout=10)
    principal = SIGNED["Authorization"].replace("AKIDUSER", "AKIDCAMPAIGNS")
    headers = {"Authorization": principal, "Content-Type": "application/json"}
    try:
        connection.connect()
        sock = connection.sock
        for method, path, body, status, code in KEEP_ALIVE_CASES:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            payload = reply.read()
            assert (reply.status, reply.getheader("x-amzn-ErrorType")) == (status, code), payload
            assert reply.getheader("Connection") != "close"
            connection.request("GET", f"/campaigns/{V1}/state", headers=headers)
            reply = connection.getresponse()
            assert (reply.status, json.loads(reply.read())) == (200, {"state": "Running"})
            assert connection.sock is sock, f"{method} {path} dropped the connection"
    finally:
        connection.close()


def test_a_body_with_many_problems_gets_a_bounded_message(http: httpx.Client) -> None:
    """A 1 MiB body can hold ~80,000 bad tags: the message named each one, a
    24 MB answer (both spellings) to a 1 MiB request. It names the first
    MAX_PROBLEMS and counts the rest."""
    from sim.connect.errors import MAX_PROBLEMS

    tags = b",".join(b'"k%d":1' % i for i in range(80_000))
    body = b'{"name": "x", "connectInstanceId": "default-instance", "tags": {' + tags + b"}}"
    response = http.put("/campaigns", content=body, headers={"Content-Type": "application/json"})
    assert_aws_error(response, 400, "ValidationException")
    assert len(response.content) < 64 * 1024
    message = response.json()["message"]
    assert message.startswith("dialerConfig: Field required; outboundCallConfig: Field required")
    assert message.count("; ") == MAX_PROBLEMS  # the last one introduces the count
    assert message.endswith(f"... and {80_002 - MAX_PROBLEMS} more problems")
    assert_still_serving(http)

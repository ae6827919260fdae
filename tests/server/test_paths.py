"""Paths as clients send them: encoded ids, label checks, unknown paths, no redirects."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from sim.server import OPERATIONS, Operation, create_app
from sim.server.routes import LABELS, labels_of

from .conftest import INSTANCE, NO_THROTTLE, PRINCIPAL_KEY, V1, Asgi
from .oracle import VALIDATION, model_of, valid_requests
from .test_strict import path_of

LABELLED = [op for op in OPERATIONS if labels_of(op.uri)]
IDS = {"ids": lambda o: f"{o.service}.{o.name}"}


@pytest.fixture(scope="module")
def asgi() -> Iterator[Asgi]:
    client = Asgi(create_app(None, quotas=NO_THROTTLE))
    yield client
    client.close()


def labels_with(op: Operation, label: str, value: str) -> dict[str, str]:
    labels = dict(valid_requests(op)[0].labels)
    labels[label] = value
    return labels


def body_required(op: Operation) -> bool:
    """Whether the input shape requires a member outside the path."""
    shape = model_of(op).input_shape
    return any(not shape.members[m].serialization.get("location") for m in shape.required_members)


V2_BY_ID = [
    op for op in LABELLED if op.service == "connectcampaignsv2" and "id" in labels_of(op.uri)
]


@pytest.mark.parametrize("op", V2_BY_ID, **IDS)
def test_an_unknown_encoded_v2_id_is_not_found(asgi: Asgi, op: Operation) -> None:
    # botocore sends "/" and ":" inside the id percent-encoded.
    path = path_of(op, {"id": "arn/ops:east-1"})
    assert "%2F" in path and "%3A" in path
    reply = asgi.request(op.method, path, b"", key=PRINCIPAL_KEY)
    if body_required(op):
        # Shape before resource: an empty body misses a required member.
        assert (reply.status, reply.code) == (400, "ValidationException")
        body = orjson.dumps(valid_requests(op)[0].body)
        reply = asgi.request(op.method, path, body, key=PRINCIPAL_KEY)
    assert (reply.status, reply.code) == (404, "ResourceNotFoundException")
    assert "arn/ops:east-1" in reply.json()["message"]


@pytest.mark.parametrize("op", LABELLED, **IDS)
def test_every_label_is_checked_before_any_lookup(asgi: Asgi, op: Operation) -> None:
    for label in labels_of(op.uri):
        rule = LABELS[(op.service, label)]
        too_long = path_of(op, labels_with(op, label, "a" * (rule.max + 1)))
        reply = asgi.request(op.method, too_long, key=PRINCIPAL_KEY)
        assert (reply.status, reply.code) == (400, VALIDATION[op.service]), reply.body
        assert reply.json()["message"] == f"{label}: length {rule.max + 1} is outside" + (
            f" {rule.min}..{rule.max}"
        )
        bad_utf8 = op.uri.replace("{" + label + "}", "%C3%28").format(
            **valid_requests(op)[0].labels
        )
        reply = asgi.request(op.method, bad_utf8, key=PRINCIPAL_KEY)
        assert (reply.status, reply.code) == (400, VALIDATION[op.service]), reply.body
        if rule.pattern is not None:
            spaced = path_of(op, labels_with(op, label, "a b"))
            reply = asgi.request(op.method, spaced, key=PRINCIPAL_KEY)
            assert (reply.status, reply.code) == (400, VALIDATION[op.service]), reply.body
            assert rule.pattern in reply.json()["message"]


def test_describe_contact_checks_its_labels(asgi: Asgi) -> None:
    reply = asgi.request("GET", f"/contacts/{INSTANCE}/" + "c" * 257)
    assert (reply.status, reply.code) == (400, "InvalidRequestException")
    reply = asgi.request("GET", f"/contacts/{INSTANCE}/" + "c" * 256)
    assert (reply.status, reply.code) == (404, "ResourceNotFoundException")


@pytest.mark.parametrize("op", OPERATIONS, **IDS)
def test_a_trailing_slash_is_an_unknown_operation(asgi: Asgi, op: Operation) -> None:
    path = path_of(op, valid_requests(op)[0].labels)
    for variant in (path + "/", path.replace("/", "//", 1), path + "/extra"):
        reply = asgi.request(op.method, variant, key=PRINCIPAL_KEY)
        # "/campaigns/extra" is DescribeCampaign's path: PUT there is a 405.
        assert reply.status in (404, 405), variant
        assert reply.code == "UnknownOperationException", variant
        assert reply.status == 404 or variant.endswith("/extra")
        assert "location" not in reply.headers


@pytest.mark.parametrize(
    "path", ["/", "", "/v2", "/v2/", "/campaigns/", "/_sim/", "/%2F", "/contact/batch/%0A/"]
)
def test_unknown_paths_get_an_aws_error(asgi: Asgi, path: str) -> None:
    reply = asgi.request("GET", path or "/")
    assert (reply.status, reply.code) == (404, "UnknownOperationException")
    body = reply.json()
    assert body["message"] == body["Message"] != ""


def test_a_wrong_method_lists_the_allowed_ones(asgi: Asgi) -> None:
    reply = asgi.request("PATCH", "/v2/campaigns/x")
    assert (reply.status, reply.code) == (405, "UnknownOperationException")
    assert reply.headers["allow"] == "DELETE, GET"
    reply = asgi.request("BREW", "/campaigns-state")
    assert (reply.status, reply.headers["allow"]) == (405, "POST")


@pytest.mark.parametrize("query", [b"X-Amz-Credential=\xff/x", b"a=\xc3\x28", b"\xff"])
def test_a_query_string_not_utf8_is_no_server_error(asgi: Asgi, query: bytes) -> None:
    """uvicorn's h11 refuses such bytes, but other ASGI servers pass them on:
    the app read its path through Starlette's URL, which decodes the query
    string as UTF-8, and answered a plain-text 500 with a traceback."""
    reply = asgi.request("GET", f"/campaigns/{V1}/state", query=query)
    assert (reply.status, reply.json()) == (200, {"state": "Running"})
    reply = asgi.request("GET", "/no/such/path", query=query)
    assert (reply.status, reply.code) == (404, "UnknownOperationException")
    unsigned = asgi.request("GET", f"/campaigns/{V1}/state", key=None, query=query)
    assert unsigned.status == 403 or query.startswith(b"X-Amz-Credential")

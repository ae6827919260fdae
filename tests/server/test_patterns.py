"""String patterns match the whole value, as AWS matches them.

botocore's patterns are Java regular expressions matched against the whole
value, so ``[-_.a-zA-Z0-9]+`` refuses ``"default-instance\\n"``. Python's
``$`` also matches before a final newline, and pydantic's python-re engine
searches with it: every pattern-constrained member (map keys included) of
every valid request is sent with a newline appended, and must be refused
exactly when the model's pattern refuses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.model import Shape

from sim.connect.contacts import ITEM_MEMBER_CODES
from sim.connect.patterns import java
from sim.server import OPERATIONS, Operation, create_app

from .conftest import NO_THROTTLE, Asgi
from .oracle import VALIDATION, Path, Request, model_of, valid_requests
from .test_strict import replaced, send, strict_scenario

KEY = "<key>"  # a path step: the keys of a map


def _patterned(shape: Shape, path: Path, seen: tuple[str, ...]) -> Iterator[tuple[Path, str]]:
    kind = shape.type_name
    if kind == "string" and shape.metadata.get("pattern"):
        yield path, shape.metadata["pattern"]
    elif kind == "list":
        yield from _patterned(shape.member, (*path, 0), seen)
    elif kind == "map":
        if shape.key.metadata.get("pattern"):
            yield (*path, KEY), shape.key.metadata["pattern"]
        yield from _patterned(shape.value, (*path, "<value>"), seen)
    elif kind == "structure" and shape.name not in seen:
        for name, member in shape.members.items():
            if not member.serialization.get("location"):
                yield from _patterned(member, (*path, name), (*seen, shape.name))


def _value(body: Any, path: Path) -> Any:
    for part in path:
        if part == KEY:
            return next(iter(body), None) if isinstance(body, dict) else None
        if isinstance(part, int):
            body = body[0] if isinstance(body, list) and body else None
        else:
            body = body.get(part) if isinstance(body, dict) else None
    return body


def _with_newline(body: dict[str, Any], path: Path) -> dict[str, Any]:
    if path[-1] != KEY:
        return replaced(body, path, _value(body, path) + "\n")
    mapping = _value(body, path[:-1])
    key = next(iter(mapping))
    return replaced(body, path[:-1], {f"{key}\n" if k == key else k: v for k, v in mapping.items()})


def cases() -> list[Any]:
    out = []
    for op in OPERATIONS:
        for path, pattern in _patterned(model_of(op).input_shape, (), ()):
            found = [r for r in valid_requests(op) if isinstance(_value(r.body, path), str)]
            if found:
                where = ".".join(str(p) for p in path)
                out.append(
                    pytest.param(op, found[0], path, pattern, id=f"{op.service}.{op.name}:{where}")
                )
    return out


@pytest.fixture(scope="module")
def asgi() -> Iterator[Asgi]:
    client = Asgi(create_app(strict_scenario(), quotas=NO_THROTTLE))
    yield client
    client.close()


@pytest.mark.parametrize(("op", "request_", "path", "pattern"), cases())
def test_a_trailing_newline_is_judged_by_the_whole_value(
    asgi: Asgi, op: Operation, request_: Request, path: Path, pattern: str
) -> None:
    body = _with_newline(request_.body, path)
    value = _value(body, path)
    reply = send(asgi, op, Request(request_.labels, body))
    if re.fullmatch(java(pattern), value) is not None:  # the model takes it too
        assert reply.code != VALIDATION[op.service], reply.body
        return
    if op.name == "BatchPutContact" and path[2] in ITEM_MEMBER_CODES:
        assert reply.status == 200, reply.body
        (failure,) = reply.json()["FailedRequestList"]
        assert failure["FailureReasonCode"] == ITEM_MEMBER_CODES[str(path[2])]
        return
    assert (reply.status, reply.code) == (400, VALIDATION[op.service]), (value, reply.body)


def test_a_trailing_newline_is_refused_in_the_words_of_any_other_mismatch(asgi: Asgi) -> None:
    """The whole-value check names the pattern as the pattern check does: not
    'Value error, String should match ...' for a value that ends in a newline."""
    op = next(
        o for o in OPERATIONS if (o.service, o.name) == ("connectcampaignsv2", "CreateCampaign")
    )
    request_ = valid_requests(op)[0]
    messages = []
    for bad in ("default-instance\n", "default instance"):
        body = replaced(request_.body, ("connectInstanceId",), bad)
        reply = send(asgi, op, Request(request_.labels, body))
        assert (reply.status, reply.code) == (400, VALIDATION[op.service])
        messages.append(reply.json()["message"])
    assert messages[0] == messages[1], messages

"""A hypothesis fuzz of every HTTP operation, with random and adversarial requests.

Each example is one request, sent in-process to the ASGI app exactly as
uvicorn would hand it over (any raw path): an operation from the routing
table, its labels (known ids, random unicode, over-long, digits in another
script, percent-encoded as botocore does, left raw, or broken), a body (a
valid request with members replaced, removed or added: wrong types, nulls,
huge strings, unicode, non-ASCII digits, tampered tokens, deep nesting; a
valid request carrying such values where validation lets them through, in
unknown or opaque members; one generated from botocore's input
shape; any JSON or junk bytes), a caller (the principal, a user, a key
spelled like the principal, unsigned), sometimes a wrong method,
Content-Type or a trailing slash. Asserted for each:

- no 5xx (no fault is injected);
- every error is one the operation documents: botocore's ``errors`` of the
  operation with their modelled status, or the common protocol errors of
  docs/server.md (``oracle.documented``); a success is a JSON object;

and at the end the server still serves a normal sequence of calls and the
simulation has not failed. At least 2,000 examples run (derandomized in CI;
``SIM_FUZZ_EXAMPLES`` changes the count for a local run).
"""

from __future__ import annotations

import copy
import os
import re
from base64 import urlsafe_b64encode as b64encode
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import quote

import orjson
import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.connect import CAMPAIGNS_PRINCIPAL
from sim.scenario import parse_scenario
from sim.server import OPERATIONS, Operation, create_app
from sim.server.routes import labels_of

from .conftest import INSTANCE, NO_THROTTLE, PRINCIPAL_KEY, USER_KEY, V1, V2, Asgi, scenario
from .oracle import Request, common, documented, expires, model_of, oracle_campaigns, valid_requests

EXAMPLES = int(os.environ.get("SIM_FUZZ_EXAMPLES", "2000"))
METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH")
KNOWN = [V1, V2, INSTANCE, "default", "+15550100", "+15551230000", "PT24H", expires()]
DEEP = "\x00deep:"  # marker of a deeply nested value, spliced in after encoding
STATE_OPS = frozenset(
    {"StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign", "DeleteCampaign"}
)
# Scenario campaigns (agentless: no queue share needed) for those operations.
DOOMED_BY_SERVICE = {
    service: [f"doomed-{api}-{n}" for n in range(50)]
    for service, api in (("connectcampaigns", "v1"), ("connectcampaignsv2", "v2"))
}
DOOMED = [cid for ids in DOOMED_BY_SERVICE.values() for cid in ids]


class Sent(NamedTuple):
    op: Operation
    method: str
    path: str
    body: bytes
    key: str | None
    content_type: str | None
    exact: bool  # the path is the operation's own (no trailing slash, no "//")


# -- values ----------------------------------------------------------------------

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
any_json = st.recursive(
    leaves,
    lambda kids: st.one_of(
        st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)
    ),
    max_leaves=10,
)
# Members a mutation may add: unknown ones, and optional ones the valid bodies lack.
EXTRA_MEMBERS = st.sampled_from(["ClientToken", "tags", "schedule", "unknownMember"])
# Top-level members validation lets through: unknown, or opaque (v2).
SMUGGLE = st.sampled_from(["unknownMember", "source", "schedule", "entryLimitsConfig"])
# Deep nesting: past orjson's 255 levels of output, or its 1024 of input.
deep = st.one_of(st.integers(256, 1024), st.integers(30, 1100)).map(lambda n: f"{DEEP}{n}")
huge = st.sampled_from([300, 40_000, 400_000]).map(lambda n: "é" * n)
# Digits that are not ASCII: Python's \d and str.isdigit take them, AWS's
# (Java) patterns do not, and int() refuses some ('²').
DIGIT_FAMILIES = (
    "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669",  # Arabic-Indic
    "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19",  # fullwidth
    "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",  # superscript
)


def digit_twin(text: str, family: str) -> str:
    """``text`` with its ASCII digits written in another script's digits."""
    return text.translate(str.maketrans("0123456789", family))


families = st.sampled_from(DIGIT_FAMILIES)
# A tampered pagination token: this service's own prefix, then anything.
tokens = st.one_of(st.text(max_size=6), st.builds(digit_twin, st.just("12"), families)).map(
    lambda t: b64encode(f"sim-campaigns:{t}".encode()).decode()
)
adversarial = st.one_of(
    any_json,
    st.sampled_from(["30", "yes", "true", "", " ", "1900000000", "2026-13-45T99:00:00Z"]),
    st.text(st.characters(codec="utf-8"), max_size=40),  # any unicode: astral, RTL, NUL
    huge,
    deep,
    deep,
    st.lists(st.none(), min_size=26, max_size=30),  # past the 25-item batch limits
    st.builds(digit_twin, st.sampled_from(KNOWN), families),
    tokens,
)
smuggled_values = st.one_of(deep, deep, huge, any_json, st.text(st.characters(codec="utf-8")))


def _scalar(shape: Shape) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "string":
        enum = shape.enum
        return st.sampled_from(enum) if enum else st.one_of(st.sampled_from(KNOWN), st.text())
    if kind in ("integer", "long"):
        return st.integers(-5, 400)
    if kind in ("double", "float"):
        return st.floats(-1.0, 3.0)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.sampled_from([expires(), expires(-1.0), expires(24 * 3650)])
    return st.none()


def from_shape(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values shaped like botocore's ``shape``, any node sometimes adversarial."""
    kind = shape.type_name
    typed: st.SearchStrategy[Any]
    if depth > 8:
        return leaves
    if kind == "structure":
        members = {
            # An opaque pagination token: most often a tampered one of ours.
            name: st.one_of(tokens, tokens, from_shape(member, depth + 1))
            if name == "nextToken"
            else from_shape(member, depth + 1)
            for name, member in shape.members.items()
            if not member.serialization.get("location")
        }
        typed = st.fixed_dictionaries({}, optional=members)
    elif kind == "list":
        typed = st.lists(from_shape(shape.member, depth + 1), max_size=3)
    elif kind == "map":
        typed = st.dictionaries(st.text(max_size=8), from_shape(shape.value, depth + 1), max_size=3)
    else:
        typed = _scalar(shape)
    return st.one_of(typed, typed, typed, adversarial)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*prefix, key)
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (*prefix, index)
            yield from _paths(child, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, op: Operation) -> dict[str, Any]:
    """A valid body of ``op`` with up to 3 members replaced, removed or added."""
    body = copy.deepcopy(draw(st.sampled_from(VALID[op])).body)
    for _ in range(draw(st.integers(0, 3))):
        paths = list(_paths(body))
        action = draw(st.sampled_from(["replace", "delete", "add", "twin"])) if paths else "add"
        if action == "twin":  # a string member with its digits in another script
            texts = [p for p in paths if str(_at(body, p)).startswith(DEEP) is False]
            texts = [p for p in texts if isinstance(_at(body, p), str)]
            if texts:
                path = draw(st.sampled_from(texts))
                parent = _at(body, path[:-1])
                parent[path[-1]] = digit_twin(parent[path[-1]], draw(families))
            continue
        if action == "add":
            inner = [n for n in (_at(body, p) for p in paths) if isinstance(n, dict)]
            nodes = [body, body, *inner]  # the top level most often
            node = draw(st.sampled_from(nodes))
            node[draw(EXTRA_MEMBERS | st.text(max_size=8))] = draw(adversarial)
            continue
        path = draw(st.sampled_from(paths))
        parent = _at(body, path[:-1])
        if action == "replace" or isinstance(parent, list):
            parent[path[-1]] = draw(adversarial)
        else:
            del parent[path[-1]]
    return body


@st.composite
def smuggled(draw: st.DrawFn, op: Operation) -> dict[str, Any]:
    """A valid body plus members it ignores or keeps opaque, with adversarial
    values: what passes validation and reaches the code past it (idempotency
    digests, DescribeCampaign's echo, the store)."""
    body = copy.deepcopy(draw(st.sampled_from(VALID[op])).body)
    for _ in range(draw(st.integers(1, 2))):
        body[draw(SMUGGLE | st.text(max_size=8))] = draw(smuggled_values)
    return body


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        body = body[part]
    return body


def encode(value: Any) -> bytes:
    """JSON bytes; DEEP markers become values nested that many levels."""
    # (hypothesis also draws the marker's own text as a string: only a marker
    # with its depth is one.)
    return DEEP_MARKER.sub(lambda m: _nested(int(m[1])), orjson.dumps(value))


DEEP_MARKER = re.compile(rb'"\\u0000deep:([0-9]+)"')


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"[]" + b"}" * depth


def bodies(op: Operation) -> st.SearchStrategy[bytes]:
    shaped = from_shape(model_of(op).input_shape)
    junk = st.one_of(
        any_json.map(encode),
        st.binary(max_size=40),
        st.sampled_from([b"", b"{", b"null", b"[]", b'"x"', b"{}", b'{"a":1}' * 2]),
    )
    # Four kinds, equally often: a valid body with members changed, one that
    # passes validation with adversarial content where it is ignored or kept
    # opaque, one shaped like the model, and junk; a paginated operation also
    # gets a tampered token of ours (decoded, it is parsed as a number).
    kinds = [
        mutated(op).map(encode),
        smuggled(op).map(encode),
        shaped.filter(lambda v: isinstance(v, dict)).map(encode),
        junk,
    ]
    if "nextToken" in model_of(op).input_shape.members:
        kinds += [st.fixed_dictionaries({"nextToken": tokens}).map(encode)] * 2
    return st.one_of(kinds)


# Built once: building strategies is what costs, drawing from them is cheap.
VALID = {op: valid_requests(op) for op in OPERATIONS}
# BatchPutContact also with a ClientToken: replays and IdempotencyException.
VALID[OPERATIONS[0]] += [
    Request(r.labels, {"ClientToken": token, **r.body})
    for r in VALID[OPERATIONS[0]]
    for token in ("fuzz-token", "fuzz-token-2")
]
BODIES = {op: bodies(op) for op in OPERATIONS}

# -- labels and requests -------------------------------------------------------------

label_values = st.one_of(
    st.sampled_from([INSTANCE, "no-such-id", "arn/ops:east-1", "c" * 256, DOOMED[0]]),
    st.text(max_size=30),
    st.text(st.sampled_from("-:/aZ09_.~ %é"), min_size=1, max_size=12),
    st.integers(90, 300).map(lambda n: "a" * n),
)


@st.composite
def label(draw: st.DrawFn) -> str:
    value = draw(label_values)
    how = draw(st.sampled_from(["botocore", "botocore", "raw", "broken", "twin"]))
    if how == "twin":
        return quote(digit_twin(value, draw(families)), safe="~")
    if how == "botocore":
        return quote(value, safe="~")
    if how == "raw":  # only what would end the label or the path is escaped
        return value.replace("%", "%25").replace("/", "%2F").replace("?", "%3F")
    return quote(value, safe="~") + draw(st.sampled_from(["%", "%Z", "%C3%28", "%FF%FE"]))


def _has_body(op: Operation) -> bool:
    members = model_of(op).input_shape.members.values()
    return any(not m.serialization.get("location") for m in members)


# Operations with a JSON body have the most to get wrong: three times as often.
OP_POOL = [op for op in OPERATIONS for _ in range(3 if _has_body(op) else 1)]


@st.composite
def requests(draw: st.DrawFn) -> Sent:
    op = draw(st.sampled_from(OP_POOL))
    labels = dict(draw(st.sampled_from(VALID[op])).labels)
    if op.name in STATE_OPS:
        # Campaigns the fuzz may stop or delete for good: not the ones the
        # other operations need running.
        labels["id"] = draw(st.sampled_from(DOOMED_BY_SERVICE[op.service]))
    for name in labels_of(op.uri):
        if draw(st.integers(0, 3)) == 0:
            labels[name] = draw(label())
        else:
            labels[name] = quote(labels[name], safe="~")
    path = op.uri.format(**labels)
    exact = draw(st.integers(0, 19)) > 0
    if not exact:
        path = draw(st.sampled_from([path + "/", path.replace("/", "//", 1)]))
    method = op.method if draw(st.integers(0, 19)) > 0 else draw(st.sampled_from(METHODS))
    # BatchPutContact does nothing for anyone but the principal.
    principal = 12 if op.name == "BatchPutContact" else 4
    key = draw(st.sampled_from([PRINCIPAL_KEY] * principal + [USER_KEY, CAMPAIGNS_PRINCIPAL, None]))
    types = ["application/json"] * 12 + [None, "text/plain", "application/x-amz-json-1.1"]
    content_type = draw(st.sampled_from(types))
    return Sent(op, method, path, draw(BODIES[op]), key, content_type, exact)


def addressed(sent: Sent) -> Operation | None:
    """The operation the request addresses, from the table (not the server's router)."""
    if not sent.exact:
        return None
    for op in OPERATIONS:
        if op.uri == sent.op.uri and op.method == sent.method:
            return op
    return None


def check(sent: Sent, status: int, code: str | None, body: bytes) -> None:
    assert status < 500, (sent, status, code, body[:300])
    target = addressed(sent)
    if status == 200:
        assert target is not None, sent
        assert isinstance(orjson.loads(body), dict)
        return
    allowed = common(sent.op.service) if target is None else documented(target)
    assert (code, status) in allowed, (sent, status, code, body[:300])
    payload = orjson.loads(body)
    assert payload["message"] == payload["Message"] != ""


def fuzz_scenario() -> Any:
    data = scenario()
    for cid in DOOMED:
        api = cid.split("-")[1]
        data["campaigns"].append(
            {"id": cid, "mode": "agentless", "api": api, "dialing_capacity": 0.01}
        )
    for campaign in data["campaigns"]:
        if campaign.get("mode", "progressive") != "agentless":
            campaign["bandwidth_allocation"] = 0.25
    data["campaigns"] += [c | {"bandwidth_allocation": 0.25} for c in oracle_campaigns()]
    return parse_scenario(data)


@pytest.fixture(scope="module")
def asgi() -> Iterator[Asgi]:
    client = Asgi(create_app(fuzz_scenario(), quotas=NO_THROTTLE))
    yield client
    client.close()


def normal_calls(asgi: Asgi) -> None:
    """A campaign created, started and dialed; its contact described."""
    create = valid_requests(next(o for o in OPERATIONS if o.uri == "/campaigns"))[0].body
    reply = asgi.request("PUT", "/campaigns", orjson.dumps(create))
    assert reply.status == 200, reply.body
    cid = reply.json()["id"]
    assert asgi.request("POST", f"/campaigns/{cid}/start").status == 200
    item = valid_requests(OPERATIONS[0])[0].body["ContactDataRequestList"][0]
    item["Campaign"] = {"CampaignId": cid}
    body = orjson.dumps({"ContactDataRequestList": [item]})
    reply = asgi.request("PUT", f"/contact/batch/{INSTANCE}", body, key=PRINCIPAL_KEY)
    assert reply.status == 200, reply.body
    (made,) = reply.json()["SuccessfulRequestList"]
    reply = asgi.request("GET", f"/contacts/{INSTANCE}/{made['ContactId']}")
    assert reply.status == 200 and reply.json()["Contact"]["Campaign"] == {"CampaignId": cid}
    assert asgi.request("GET", f"/campaigns/{cid}/state").json() == {"state": "Running"}


@pytest.mark.slow
def test_fuzz_every_operation(asgi: Asgi) -> None:
    outcomes: Counter[tuple[str, int]] = Counter()
    per_op: Counter[str] = Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(sent=requests())
    def one(sent: Sent) -> None:
        reply = asgi.request(
            sent.method, sent.path, sent.body, key=sent.key, content_type=sent.content_type
        )
        check(sent, reply.status, reply.code, reply.body)
        outcomes[(reply.code or "OK", reply.status)] += 1
        if addressed(sent) is sent.op:
            per_op[f"{sent.op.service}.{sent.op.name}"] += 1

    one()
    assert sum(outcomes.values()) >= EXAMPLES
    assert asgi.simulation.failure is None
    normal_calls(asgi)
    # Not vacuous: every operation was addressed, and both successes and
    # each kind of refusal occurred.
    assert len(per_op) == len(OPERATIONS), per_op
    codes = {code for code, _ in outcomes}
    assert {"OK", "SerializationException", "UnknownOperationException"} <= codes, outcomes
    assert {"ValidationException", "InvalidRequestException", "AccessDeniedException"} <= codes
    assert "ResourceNotFoundException" in codes

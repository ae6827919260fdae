"""Our wire models against the botocore service models (the oracle).

Walks each operation's input and output shapes recursively and compares them
with the JSON schema of our pydantic model: member names, required members,
unions, enums, string lengths, patterns, numeric ranges, list bounds, map keys
and values. A newer botocore that changes a shape fails here, naming where.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.loaders import Loader
from pydantic import BaseModel

from sim.connect import models_campaign as v1
from sim.connect import models_campaign_v2 as v2
from sim.connect import models_contact as mc
from sim.connect import models_v2_ops as v2o
from sim.connect.patterns import java

OPERATIONS: dict[str, dict[str, tuple[type[BaseModel], type[BaseModel] | None]]] = {
    "connect": {"BatchPutContact": (mc.BatchPutContactRequest, mc.BatchPutContactResponse)},
    "connectcampaigns": {
        "CreateCampaign": (v1.CreateCampaignRequest, v1.CreateCampaignResponse),
        "DescribeCampaign": (v1.CampaignIdRequestV1, v1.DescribeCampaignResponse),
        "StartCampaign": (v1.CampaignIdRequestV1, None),
        "PauseCampaign": (v1.CampaignIdRequestV1, None),
        "ResumeCampaign": (v1.CampaignIdRequestV1, None),
        "StopCampaign": (v1.CampaignIdRequestV1, None),
        "DeleteCampaign": (v1.CampaignIdRequestV1, None),
        "GetCampaignState": (v1.CampaignIdRequestV1, v1.GetCampaignStateResponse),
        "GetCampaignStateBatch": (
            v1.GetCampaignStateBatchRequest,
            v1.GetCampaignStateBatchResponse,
        ),
        "PutDialRequestBatch": (v1.PutDialRequestBatchRequest, v1.PutDialRequestBatchResponse),
    },
    "connectcampaignsv2": {
        "CreateCampaign": (v2.CreateCampaignRequestV2, v2.CreateCampaignResponseV2),
        "DescribeCampaign": (v2.CampaignIdRequestV2, v2.DescribeCampaignResponseV2),
        "StartCampaign": (v2.CampaignIdRequestV2, None),
        "PauseCampaign": (v2.CampaignIdRequestV2, None),
        "ResumeCampaign": (v2.CampaignIdRequestV2, None),
        "StopCampaign": (v2.CampaignIdRequestV2, None),
        "DeleteCampaign": (v2.CampaignIdRequestV2, None),
        "GetCampaignState": (v2.CampaignIdRequestV2, v2.GetCampaignStateResponseV2),
        "PutOutboundRequestBatch": (
            v2.PutOutboundRequestBatchRequest,
            v2.PutOutboundRequestBatchResponse,
        ),
        "UpdateCampaignCommunicationTime": (v2o.UpdateCampaignCommunicationTimeRequest, None),
        "UpdateCampaignCommunicationLimits": (v2o.UpdateCampaignCommunicationLimitsRequest, None),
        "UpdateCampaignSchedule": (v2o.UpdateCampaignScheduleRequest, None),
        "PutInstanceCommunicationLimits": (v2o.PutInstanceCommunicationLimitsRequest, None),
        "GetInstanceCommunicationLimits": (
            v2o.GetInstanceCommunicationLimitsRequest,
            v2o.GetInstanceCommunicationLimitsResponse,
        ),
        "ListCampaigns": (v2o.ListCampaignsRequest, v2o.ListCampaignsResponse),
    },
}

_OPAQUE = "modelled as an opaque JSON object: accepted and echoed back, not simulated"
# (service, "Shape.member") -> why we do not model it member by member.
SKIPPED: dict[tuple[str, str], str] = {
    **{
        ("connectcampaignsv2", f"{shape}.{member}"): _OPAQUE
        for shape in ("CreateCampaignRequest", "Campaign")
        for member in ("source", "entryLimitsConfig")
    },
    ("connectcampaignsv2", "CampaignSummary.entryLimitsConfig"): _OPAQUE,
    **{
        ("connectcampaignsv2", f"{shape}.{member}"): _OPAQUE + " (only telephony is simulated)"
        for shape in ("ChannelSubtypeConfig", "ChannelSubtypeParameters")
        for member in ("sms", "email", "whatsApp")
    },
}


def _load(service: str) -> dict[str, Any]:
    return Loader().load_service_model(service, "service-2")  # type: ignore[no-any-return]


class Walker:
    """Compares one botocore shape tree with one JSON schema tree."""

    def __init__(self, service: str, model: dict[str, Any], schema: dict[str, Any]) -> None:
        self.service = service
        self.shapes = model["shapes"]
        self.defs = schema.get("$defs", {})
        self.problems: list[str] = []
        self.used_skips: set[tuple[str, str]] = set()

    def resolve(self, s: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in s:
                s = self.defs[s["$ref"].split("/")[-1]]
            elif "anyOf" in s:
                rest = [x for x in s["anyOf"] if x.get("type") != "null"]
                assert len(rest) == 1, s
                s = rest[0]
            else:
                return s

    def fail(self, path: str, msg: str) -> None:
        self.problems.append(f"{self.service} {path}: {msg}")

    def walk(self, shape_name: str, ours: dict[str, Any], path: str) -> None:
        shape = self.shapes[shape_name]
        ours = self.resolve(ours)
        kind = shape["type"]
        handler = getattr(self, f"_{kind}", None)
        if handler is None:
            self.fail(path, f"unhandled botocore type {kind}")
            return
        handler(shape_name, shape, ours, path)

    def _structure(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        members = shape["members"]
        props = ours.get("properties", {})
        expected = set()
        for m in members:
            key = (self.service, f"{name}.{m}")
            if key in SKIPPED:
                self.used_skips.add(key)
                if m not in props:
                    self.fail(f"{path}.{m}", "skipped member must still be accepted")
                continue
            expected.add(m)
        modelled = set(props) - {m for m in members if (self.service, f"{name}.{m}") in SKIPPED}
        if modelled != expected:
            self.fail(path, f"members differ: missing {sorted(expected - modelled)}, "
                      f"extra {sorted(modelled - expected)}")  # fmt: skip
        required = set(shape.get("required", ()))
        if set(ours.get("required", ())) != required:
            self.fail(path, f"required {sorted(ours.get('required', ()))} != {sorted(required)}")
        if bool(shape.get("union")) != bool(ours.get("union")):
            self.fail(path, f"union flag {ours.get('union')} != {shape.get('union')}")
        for m in expected & modelled:
            self.walk(members[m]["shape"], props[m], f"{path}.{m}")

    def _string(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        if "enum" in shape:
            if set(ours.get("enum", ())) != set(shape["enum"]):
                self.fail(path, f"enum {ours.get('enum')} != {shape['enum']}")
            return
        if ours.get("type") != "string":
            self.fail(path, f"type {ours.get('type')} != string")
        self._bounds(shape, ours, path, "minLength", "maxLength")
        # Ours is java(theirs): anchored, each Java class escape spelled in ASCII.
        pattern, theirs = ours.get("pattern"), shape.get("pattern")
        if pattern != (None if theirs is None else java(theirs)):
            self.fail(path, f"pattern {pattern!r} != java({theirs!r})")

    def _bounds(
        self, shape: dict[str, Any], ours: dict[str, Any], path: str, lo: str, hi: str
    ) -> None:
        # A botocore min of 0 on a length says nothing pydantic needs to state.
        want_lo = shape.get("min")
        if want_lo == 0 and lo != "minimum":
            want_lo = None
        got_lo = ours.get(lo)
        if got_lo == 0 and lo != "minimum":
            got_lo = None
        if got_lo != want_lo:
            self.fail(path, f"{lo} {got_lo} != {want_lo}")
        if ours.get(hi) != shape.get("max"):
            self.fail(path, f"{hi} {ours.get(hi)} != {shape.get('max')}")

    def _number(self, shape: dict[str, Any], ours: dict[str, Any], path: str, t: str) -> None:
        if ours.get("type") != t:
            self.fail(path, f"type {ours.get('type')} != {t}")
        self._bounds(shape, ours, path, "minimum", "maximum")

    def _double(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        self._number(shape, ours, path, "number")

    def _integer(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        self._number(shape, ours, path, "integer")

    def _boolean(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        if ours.get("type") != "boolean":
            self.fail(path, f"type {ours.get('type')} != boolean")

    def _timestamp(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        if ours.get("format") != "date-time":
            self.fail(path, f"timestamp modelled as {ours}")

    def _list(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        if ours.get("type") != "array":
            self.fail(path, f"type {ours.get('type')} != array")
            return
        self._bounds(shape, ours, path, "minItems", "maxItems")
        self.walk(shape["member"]["shape"], ours["items"], f"{path}[]")

    def _map(self, name: str, shape: dict[str, Any], ours: dict[str, Any], path: str) -> None:
        if ours.get("type") != "object":
            self.fail(path, f"type {ours.get('type')} != object")
            return
        key_shape = self.shapes[shape["key"]["shape"]]
        names = ours.get("propertyNames", {})
        self._bounds(key_shape, names, f"{path}(key)", "minLength", "maxLength")
        pattern_props = ours.get("patternProperties", {})
        key_pattern, theirs = next(iter(pattern_props), None), key_shape.get("pattern")
        if key_pattern != (None if theirs is None else java(theirs)):
            self.fail(f"{path}(key)", f"pattern {key_pattern!r} != java({theirs!r})")
        value = next(iter(pattern_props.values()), None) or ours.get("additionalProperties")
        value_shape = self.shapes[shape["value"]["shape"]]
        if value_shape.get("pattern") == ".*":  # matches anything: nothing to model
            value_shape = {k: v for k, v in value_shape.items() if k != "pattern"}
            self.shapes = {**self.shapes, "__value__": value_shape}
            self.walk("__value__", value or {}, f"{path}(value)")
        else:
            self.walk(shape["value"]["shape"], value or {}, f"{path}(value)")


CASES = [
    (service, op, direction)
    for service, ops in OPERATIONS.items()
    for op in ops
    for direction in ("input", "output")
]


@pytest.mark.parametrize(("service", "operation", "direction"), CASES)
def test_model_matches_botocore(service: str, operation: str, direction: str) -> None:
    model = _load(service)
    op = model["operations"][operation]
    ours = OPERATIONS[service][operation][0 if direction == "input" else 1]
    if direction not in op:
        assert ours is None, f"{operation} has no {direction} in botocore"
        return
    assert ours is not None, f"{service} {operation} {direction} is not modelled"
    schema = ours.model_json_schema()
    walker = Walker(service, model, schema)
    walker.walk(op[direction]["shape"], schema, f"{operation}.{direction}")
    assert not walker.problems, "\n".join(walker.problems)


def test_every_skip_is_used() -> None:
    """A skip that no longer matches a botocore member is stale."""
    used: set[tuple[str, str]] = set()
    for service, ops in OPERATIONS.items():
        model = _load(service)
        for operation, pair in ops.items():
            for direction, ours in zip(("input", "output"), pair, strict=True):
                if ours is None or direction not in model["operations"][operation]:
                    continue
                schema = ours.model_json_schema()
                walker = Walker(service, model, schema)
                walker.walk(model["operations"][operation][direction]["shape"], schema, operation)
                used |= walker.used_skips
    assert set(SKIPPED) - used == set()


def test_walker_names_a_drifted_member() -> None:
    """The oracle is not vacuous: a changed bound is reported with its path."""
    model = _load("connect")
    schema = mc.BatchPutContactRequest.model_json_schema()
    schema["$defs"]["Endpoint"]["properties"]["Address"]["anyOf"][0]["maxLength"] = 255
    walker = Walker("connect", model, schema)
    walker.walk("BatchPutContactRequest", schema, "BatchPutContact.input")
    assert sorted(walker.problems) == [
        f"connect BatchPutContact.input.ContactDataRequestList[].{member}.Address: "
        "maxLength 255 != 256"
        for member in ("CustomerEndpoint", "SystemEndpoint")
    ]

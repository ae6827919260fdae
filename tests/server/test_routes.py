"""The routing table against botocore's service models (the oracle)."""

from __future__ import annotations

import random
import re

import botocore.session
import pytest

from sim.connect import CAMPAIGNS_PRINCIPAL, CoreConfig, OutboundCore, ServiceError
from sim.domain import ListSink
from sim.server import OPERATIONS, Operation
from sim.server.routes import LABELS, Label, Match, Router, by_path, labels_of

SESSION = botocore.session.get_session()


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: f"{o.service}.{o.name}")
def test_route_matches_botocore(op: Operation) -> None:
    service, name, method, uri = op
    model = SESSION.get_service_model(service).operation_model(name)
    assert (model.http["method"], model.http["requestUri"]) == (method, uri)
    labels = set(re.findall(r"{(\w+)}", uri))
    outside_body = {
        member
        for member, shape in model.input_shape.members.items()
        if shape.serialization.get("location")
    }
    # Everything not in the JSON body is a URI label: no query or header members.
    assert outside_body == labels
    for member in labels:
        assert model.input_shape.members[member].serialization["location"] == "uri"


def test_paths_and_methods_are_unique() -> None:
    table = by_path()
    assert sum(len(ops) for ops in table.values()) == len(OPERATIONS)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: f"{o.service}.{o.name}")
def test_the_core_knows_every_routed_operation(op: Operation) -> None:
    if op.name == "DescribeContact":
        return  # answered by the server's contact index, not the core
    config = CoreConfig(instance_id="i", queues=("q",), phone_numbers=("+15550100",))
    core = OutboundCore(config, random.Random(0), ListSink())
    try:
        core.call(op.service, op.name, {}, caller=CAMPAIGNS_PRINCIPAL, now=0.0)
    except ServiceError as error:
        assert error.code != "UnknownOperationException"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: f"{o.service}.{o.name}")
def test_label_rules_match_botocore(op: Operation) -> None:
    model = SESSION.get_service_model(op.service).operation_model(op.name)
    for label in labels_of(op.uri):
        meta = model.input_shape.members[label].metadata
        expected = Label(meta.get("min", 0), meta["max"], meta.get("pattern"))
        assert LABELS[(op.service, label)] == expected, label


def test_router_matches_the_raw_path() -> None:
    router = Router()
    found = router.match("GET", b"/v2/campaigns/ops%2Feast%3A1/state")
    assert found.op is not None and found.op.name == "GetCampaignState"
    assert router.labels(found.op, found.raw_labels) == {"id": "ops/east:1"}
    assert router.match("GET", b"/v2/campaigns/ops/east:1/state").op is None
    assert router.match("GET", b"/campaigns/x/state/") == Match(None, {}, ())
    assert router.match("DELETE", b"/campaigns/x/start") == Match(None, {}, ("POST",))
    assert router.match("PUT", b"/campaigns").op is not None
    assert router.match("POST", b"/campaigns-state").op is not None


def test_router_checks_every_label() -> None:
    router = Router()
    found = router.match("GET", b"/contacts/" + b"i" * 101 + b"/%FF")
    assert found.op is not None
    with pytest.raises(ServiceError) as info:
        router.labels(found.op, found.raw_labels)
    assert info.value.code == "InvalidRequestException"
    assert info.value.message == (
        "InstanceId: length 101 is outside 1..100; ContactId: is not percent-encoded UTF-8"
    )


def test_a_label_without_a_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="no LABELS row"):
        Router([Operation("connectcampaignsv2", "X", "GET", "/v2/things/{thingId}")])

"""The routing table against botocore's service models (the oracle)."""

from __future__ import annotations

import random
import re

import botocore.session
import pytest

from sim.connect import CAMPAIGNS_PRINCIPAL, CoreConfig, OutboundCore, ServiceError
from sim.domain import ListSink
from sim.server import OPERATIONS, Operation
from sim.server.routes import by_path

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

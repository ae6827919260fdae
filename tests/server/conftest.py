"""Servers on free loopback ports and real boto3 clients pointed at them."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import pytest

from sim.connect import Quota, Quotas
from sim.server import DEFAULT_SCENARIO, ServerHandle, create_app

PRINCIPAL_KEY = "AKIDCAMPAIGNS"
USER_KEY = "AKIDUSER"
INSTANCE = "default-instance"
V1 = "default-campaign"
V2 = "default-campaign-v2"
BIG = Quota(rate=1e6, burst=1e6)
NO_THROTTLE = Quotas(**{name: BIG for name in Quotas.model_fields})
NO_RETRIES = botocore.config.Config(retries={"total_max_attempts": 1}, connect_timeout=5)

ClientFactory = Callable[..., Any]


class FakeClock:
    """A wall clock that moves only when told (for ``Simulation(clock=...)``)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def scenario(**changes: Any) -> dict[str, Any]:
    """The built-in scenario with top-level keys replaced."""
    data = copy.deepcopy(DEFAULT_SCENARIO)
    data.update(changes)
    return data


def client_factory(server: ServerHandle) -> ClientFactory:
    def make(service: str, key: str = USER_KEY, **kw: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=server.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=key,
            aws_secret_access_key="not-checked",
            config=kw.pop("config", NO_RETRIES),
            **kw,
        )

    return make


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    """The default instance at speed 1, with rate limits out of the way."""
    with ServerHandle(create_app(None, quotas=NO_THROTTLE)) as handle:
        yield handle


@pytest.fixture(scope="module")
def client(server: ServerHandle) -> ClientFactory:
    return client_factory(server)

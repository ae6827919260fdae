"""Servers on free loopback ports and real boto3 clients pointed at them."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote

import boto3
import botocore.config
import orjson
import pytest
from starlette.applications import Starlette

from sim.connect import Quota, Quotas
from sim.server import DEFAULT_SCENARIO, ServerHandle, Simulation, create_app

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


SIGNATURE = (
    "AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/connect/aws4_request,"
    " SignedHeaders=host, Signature=0"
)


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def code(self) -> str | None:
        """The AWS error type (``x-amzn-ErrorType``), None on success."""
        return self.headers.get("x-amzn-errortype")

    def json(self) -> Any:
        return orjson.loads(self.body)


class Asgi:
    """An app called in-process, as uvicorn would call it, with any raw path.

    No HTTP client in between (none normalises the path), so a test can send
    exactly the bytes a client might. The run is started here, not by the
    lifespan; ``close()`` finishes it.
    """

    def __init__(self, app: Starlette, clock: Callable[[], float] | None = None) -> None:
        self.app = app
        self.simulation: Simulation = app.state.simulation
        if clock is not None:
            self.simulation.clock = clock
        self.simulation.start()
        self.loop = asyncio.new_event_loop()

    def request(
        self,
        method: str,
        raw_path: str | bytes,
        body: bytes = b"",
        *,
        key: str | None = USER_KEY,
        content_type: str | None = "application/json",
        query: bytes = b"",
    ) -> Reply:
        raw = raw_path.encode() if isinstance(raw_path, str) else raw_path
        headers = [(b"host", b"sim.test"), (b"content-length", str(len(body)).encode())]
        if key is not None:
            headers.append((b"authorization", SIGNATURE.format(key=key).encode("latin-1")))
        if content_type is not None:
            headers.append((b"content-type", content_type.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": unquote(raw.decode(errors="replace")),
            "raw_path": raw,
            "query_string": query,
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("sim.test", 80),
        }
        return self.loop.run_until_complete(self._call(scope, body))

    async def _call(self, scope: dict[str, Any], body: bytes) -> Reply:
        inbox = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return inbox.pop(0) if inbox else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await self.app(scope, receive, send)
        start = sent[0]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start["headers"]}
        payload = b"".join(m.get("body", b"") for m in sent[1:])
        return Reply(start["status"], headers, payload)

    def close(self) -> None:
        self.simulation.stop()
        self.loop.close()

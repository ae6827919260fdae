"""Requests whose body never arrives: a client that stalls or hangs up mid-body,
and a shutdown that has to cut such a request off (the run is still finished)."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sim.server.app as server_app
from sim.server import ServerHandle, create_app
from sim.store import Store

from .conftest import NO_THROTTLE, SIGNATURE, USER_KEY, V1, Asgi, Reply

# Headers promising 100 bytes of body, and only the first 6 of them sent.
PARTIAL = (
    f"PUT /campaigns/{V1}/dial-requests HTTP/1.1\r\nHost: sim.test\r\n"
    "Authorization: AWS4-HMAC-SHA256 Credential=AKIDUSER/20260101/us-east-1/x/aws4_request\r\n"
    'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"dial'
).encode()


def test_a_stalled_request_does_not_keep_the_run_from_finishing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that never sends the rest of its body (slow, stuck or hostile)
    used to hold uvicorn's graceful shutdown forever: the server never stopped
    and the run stayed 'running'. Now it is cut off after the grace period."""
    monkeypatch.setattr(server_app, "SHUTDOWN_GRACE_S", 1)
    db = tmp_path / "serve.db"
    server = ServerHandle(create_app(None, db=str(db))).start()
    run_id = server.simulation.run_id
    stalled = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    try:
        stalled.sendall(PARTIAL)
        # Wait until the request is being read (not a fixed sleep: on a loaded
        # machine the shutdown could otherwise come first and prove nothing).
        ready = time.monotonic() + 10
        while not server._server.server_state.tasks and time.monotonic() < ready:
            time.sleep(0.01)
        assert server._server.server_state.tasks, "the server never read the request"
        began = time.monotonic()
        server.stop(timeout=15)
        assert not server._thread.is_alive(), "shutdown waited on the stalled client"
        assert time.monotonic() - began < 10
    finally:
        stalled.close()
    store = Store(str(db))
    try:
        assert store.run(run_id).status == "completed"
    finally:
        store.dispose()


def _partial_request(asgi: Asgi, then: dict[str, Any]) -> Reply:
    """A PUT whose body stops after a few bytes; ``then`` is the next ASGI message."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": f"/campaigns/{V1}/dial-requests",
        "raw_path": f"/campaigns/{V1}/dial-requests".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"sim.test"),
            (b"content-length", b"100"),
            (b"content-type", b"application/json"),
            (b"authorization", SIGNATURE.format(key=USER_KEY).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("sim.test", 80),
    }
    inbox: list[dict[str, Any]] = [
        {"type": "http.request", "body": b'{"dial', "more_body": True},
        then,
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        message = inbox.pop(0) if inbox else {"type": "http.disconnect"}
        if message["type"] == "cancel":
            raise asyncio.CancelledError("timeout graceful shutdown exceeded")
        return message

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asgi.loop.run_until_complete(asgi.app(scope, receive, send))
    headers = {k.decode().lower(): v.decode() for k, v in sent[0]["headers"]}
    return Reply(sent[0]["status"], headers, b"".join(m.get("body", b"") for m in sent[1:]))


@pytest.fixture
def asgi() -> Iterator[Asgi]:
    client = Asgi(create_app(None, quotas=NO_THROTTLE))
    yield client
    client.close()


def test_a_client_hanging_up_mid_body_is_not_logged_as_a_bug(
    asgi: Asgi, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that closes its connection before the end of its body used to be
    logged as an unhandled error, with a traceback, for every such request."""
    with caplog.at_level(logging.INFO, logger="sim.server"):
        reply = _partial_request(asgi, {"type": "http.disconnect"})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert (reply.status, reply.code) == (400, "SerializationException")
    assert asgi.request("GET", f"/campaigns/{V1}/state").json() == {"state": "Running"}


def test_a_request_cut_off_by_shutdown_is_answered_in_aws_form(
    asgi: Asgi, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn cancels a request still reading its body when the shutdown grace
    period ends; the client gets the service's modelled 500, not a plain-text
    one, and the log no traceback."""
    with caplog.at_level(logging.INFO, logger="sim.server"):
        reply = _partial_request(asgi, {"type": "cancel"})
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert (reply.status, reply.code) == (500, "InternalServerException")
    assert b"shut" in reply.body

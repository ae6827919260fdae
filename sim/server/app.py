"""The Starlette app, a background-thread handle for tests, and ``serve``.

``create_app`` builds the app around a :class:`Simulation`: the app's
lifespan starts the simulated clock and, on shutdown, finishes the run in
the store. ``ServerHandle`` runs the app under uvicorn on a free loopback
port in a thread; ``serve`` runs it in the foreground (``sim serve``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import request_response

from sim.connect import Quotas, ServiceError
from sim.scenario import Scenario, load_scenario, parse_scenario
from sim.server.auth import DEFAULT_PRINCIPAL_KEYS, Auth
from sim.server.defaults import DEFAULT_SCENARIO
from sim.server.protocol import (
    MAX_BODY_BYTES,
    build_request,
    decode_body,
    error_response,
    internal_error,
    ok_response,
    serialization_error,
    service_of_path,
    too_large,
    unknown_operation,
)
from sim.server.realtime import Simulation
from sim.server.routes import DIAL_REQUEST, Match, Operation, Router
from sim.store import Store

log = logging.getLogger("sim.server")

# Wall seconds a shutdown waits for open requests before cutting them off:
# without a bound, one client that never finishes its request (a stalled or
# hostile one) would keep the server up and the run unfinished for ever.
SHUTDOWN_GRACE_S = 5


def _scenario(scenario: Scenario | str | Path | None) -> Scenario:
    if scenario is None:
        return parse_scenario(DEFAULT_SCENARIO)
    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


async def _read_body(request: Request, limit: int, service: str) -> bytes:
    """The request body, refusing (413) as soon as it passes ``limit`` bytes.

    A body that never arrives whole is not a bug of ours: a client that hangs
    up mid-body gets SerializationException (which it will not read), and
    one still sending when a shutdown's grace period ends (uvicorn cancels
    it) gets the service's internal error, both in AWS form, unlogged.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large(service, limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large(service, limit)
            chunks.append(chunk)
    except ClientDisconnect:
        raise serialization_error(service, "The client closed the connection mid-body") from None
    except asyncio.CancelledError:
        # Answering (rather than re-raising) ends the task, which is what the
        # cancelling shutdown wants; the request had not reached the simulation.
        raise internal_error(service, "The server shut down before the body arrived") from None
    return b"".join(chunks)


def raw_path(scope: Mapping[str, Any]) -> bytes:
    """The request path as sent, still percent-encoded (ASGI ``raw_path``)."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.split(b"?", 1)[0]
    # Without raw_path only the decoded path is known: encode it again.
    return quote(str(scope["path"]), safe="/").encode("ascii")


class Api:
    """Turns HTTP requests into calls on the simulation, and answers in rest-json.

    One endpoint takes every request: the router matches the raw path, so
    percent-encoded slashes stay inside their label, and nothing is ever
    redirected. Every failure is answered in AWS form; an unexpected one is
    logged and answered 500 (a bug), never a dropped connection.
    """

    def __init__(self, simulation: Simulation, auth: Auth, max_body: int) -> None:
        self.simulation = simulation
        self.auth = auth
        self.max_body = max_body
        self.router = Router()

    async def dispatch(self, request: Request) -> Response:
        # The scope's path, not request.url: that decodes the query string as
        # UTF-8 and raises on other bytes (which some ASGI servers pass on).
        method, path = request.method, str(request.scope["path"])
        try:
            match = self.router.match(method, raw_path(request.scope))
            op = match.op
            if op is None:
                status = 405 if match.allowed else 404
                error = unknown_operation(service_of_path(path), method, path, status)
                allow = {"Allow": ", ".join(match.allowed)} if match.allowed else None
                return error_response(error, allow)
            if op is DIAL_REQUEST:
                return ok_response(await self._dial_request(match))
            return ok_response(await self._serve(op, match, request))
        except ServiceError as error:
            return error_response(error)
        except Exception:  # a bug: log it, answer in AWS form, keep the connection
            log.exception("unhandled error serving %s %s", method, path)
            service = service_of_path(path)
            return error_response(internal_error(service, "Unhandled error in the simulator"))

    async def _serve(self, op: Operation, match: Match, request: Request) -> dict[str, Any]:
        raw = await _read_body(request, self.max_body, op.service)
        caller = self.auth.identify(
            request.headers.get("authorization"),
            request.query_params.get("X-Amz-Credential"),
            op.service,
        )
        body = decode_body(raw, request.headers.get("content-type"), op.service)
        labels = self.router.labels(op, match.raw_labels)
        if op.name == "DescribeContact":
            return await run_in_threadpool(
                self.simulation.describe_contact, labels["InstanceId"], labels["ContactId"]
            )
        payload = build_request(body, labels)
        return await run_in_threadpool(self.simulation.call, op.service, op.name, payload, caller)

    async def _dial_request(self, match: Match) -> dict[str, Any]:
        """``GET /_sim/dial-requests/{id}``: which contacts a dial request became.

        Not an AWS API: AWS tells a campaign's owner about contacts through
        events, which the simulator does not deliver; this lets a client find
        the ContactIds to pass to DescribeContact. Unauthenticated, read-only.
        """
        labels = self.router.labels(DIAL_REQUEST, match.raw_labels)
        return await run_in_threadpool(self.simulation.dial_request, labels["id"])


def create_app(
    scenario: Scenario | str | Path | None = None,
    *,
    speed: float = 1.0,
    db: str | None = None,
    principal_keys: Sequence[str] = DEFAULT_PRINCIPAL_KEYS,
    identities: Mapping[str, str] | None = None,
    quotas: Quotas | None = None,
    seed: int | None = None,
    max_body: int = MAX_BODY_BYTES,
    quota_clock: str = "wall",
) -> Starlette:
    """The ASGI app serving Connect's outbound APIs over a live simulation.

    ``scenario``: a Scenario, a YAML path, or None for the built-in default
    instance (``sim.server.defaults``). ``speed``: simulated seconds per wall
    second. ``db``: where the run is recorded (SQLite path or SQLAlchemy URL;
    None keeps it in memory). ``principal_keys``: access key ids that act as
    the outbound campaigns principal; ``identities`` maps other access keys to
    identities. ``quotas`` replaces the scenario's API rate limits.
    ``quota_clock``: HTTP callers' request quotas follow the wall clock
    ("wall", the default, as the real service's per-second quotas do) or the
    simulated clock ("simulated", sharing the simulated dialer's buckets). The run
    starts with the app's lifespan and is finished 'completed' at shutdown;
    ``app.state.simulation`` is the :class:`Simulation`.
    """
    auth = Auth(principal_keys, identities)
    resolved = _scenario(scenario)
    store = Store(db if db is not None else ":memory:")
    simulation = Simulation(
        resolved, store, speed=speed, quotas=quotas, seed=seed, quota_clock=quota_clock
    )
    api = Api(simulation, auth, max_body)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await run_in_threadpool(simulation.start)
        try:
            yield
        finally:
            await run_in_threadpool(simulation.stop)

    app = Starlette(lifespan=lifespan)
    # No Starlette routes: every request goes to the Api, which routes on the
    # raw path (Starlette's would match the decoded one, and redirect slashes).
    app.router.redirect_slashes = False
    app.router.default = request_response(api.dispatch)
    app.state.simulation = simulation
    app.state.store = store
    return app


class ServerHandle:
    """The app under uvicorn in a background thread, on a free loopback port.

    ``with ServerHandle(create_app(...)) as server:`` starts it and waits
    until it answers; ``server.endpoint_url`` is what boto3 takes; leaving the
    block (or ``stop()``) shuts it down cleanly, which finishes the run.
    """

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted
        # connections only when the listening socket says so, and without it
        # Nagle plus delayed ACKs add ~40 ms to every request.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="sim-server", daemon=True)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def simulation(self) -> Simulation:
        simulation: Simulation = self.app.state.simulation
        return simulation

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout: float = 30.0) -> ServerHandle:
        """Start serving; RuntimeError if the server is not up within ``timeout``."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the simulator's HTTP server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Shut down (finishing the run) and wait for the thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServerHandle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class CannotListen(Exception):
    """``serve`` cannot listen on its address: a port out of range, a host that
    does not resolve, an address in use or not this machine's."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (not yet listening); CannotListen."""
    where = f"{host}:{port}"
    if not 0 <= port <= 65535:
        raise CannotListen(f"cannot listen on {where}: the port must be 0..65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
    except (OSError, UnicodeError) as exc:
        raise CannotListen(f"cannot listen on {where}: {_reason(exc)}") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise CannotListen(f"cannot listen on {where}: {_reason(exc)}") from None
    return sock


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)


def serve(
    scenario_path: str | None,
    host: str = "127.0.0.1",
    port: int = 8000,
    speed: float = 1.0,
    db: str | None = None,
    principal_keys: Sequence[str] = DEFAULT_PRINCIPAL_KEYS,
    identities: Mapping[str, str] | None = None,
    quotas: Quotas | None = None,
    seed: int | None = None,
    quota_clock: str = "wall",
) -> None:
    """Serve the outbound APIs on ``host:port`` until interrupted (Ctrl-C).

    Raises ScenarioError for a bad scenario file, then CannotListen if the
    address cannot be bound, both before the run starts (nothing recorded).
    """
    app = create_app(
        scenario_path,
        speed=speed,
        db=db,
        principal_keys=principal_keys,
        identities=identities,
        quotas=quotas,
        seed=seed,
        quota_clock=quota_clock,
    )
    sock = listening_socket(host, port)
    try:
        server = uvicorn.Server(
            uvicorn.Config(
                app,
                host=host,
                port=port,
                log_level="info",
                lifespan="on",
                timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
            )
        )
        shown = f"[{host}]" if ":" in host else host
        logging.getLogger("uvicorn.error").info(
            "Uvicorn running on http://%s:%d (Press CTRL+C to quit)",
            shown,
            sock.getsockname()[1],
        )
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it stops, as uvicorn.run
            server.run(sockets=[sock])
    finally:
        sock.close()

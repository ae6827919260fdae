"""An HTTP face speaking AWS rest-json, so real boto3 clients can call the simulator.

``serve(...)`` runs it in the foreground (``sim serve``); ``create_app(...)``
builds the Starlette app and ``ServerHandle`` runs one in a background thread
on a free loopback port. See docs/server.md.
"""

from sim.server.app import CannotListen, ServerHandle, create_app, serve
from sim.server.auth import DEFAULT_PRINCIPAL_KEYS, Auth
from sim.server.defaults import (
    DEFAULT_CAMPAIGN_V1,
    DEFAULT_CAMPAIGN_V2,
    DEFAULT_INSTANCE_ID,
    DEFAULT_SCENARIO,
)
from sim.server.realtime import MAX_SPEED, Simulation
from sim.server.routes import OPERATIONS, Operation

__all__ = [
    "DEFAULT_CAMPAIGN_V1",
    "DEFAULT_CAMPAIGN_V2",
    "DEFAULT_INSTANCE_ID",
    "DEFAULT_PRINCIPAL_KEYS",
    "DEFAULT_SCENARIO",
    "MAX_SPEED",
    "OPERATIONS",
    "Auth",
    "CannotListen",
    "Operation",
    "ServerHandle",
    "Simulation",
    "create_app",
    "serve",
]

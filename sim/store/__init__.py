"""Event store: schema, event log, projections, replay.

Imports only ``sim.domain`` (never the engine or the core).
"""

from sim.store.opening import StoreError
from sim.store.projector import ProjectionRows, Projector
from sim.store.replay import ReplayResult, replay
from sim.store.store import DuplicateRun, RunInfo, Store, mark_interrupted
from sim.store.writer import EventWriter

__all__ = [
    "DuplicateRun",
    "EventWriter",
    "ProjectionRows",
    "Projector",
    "ReplayResult",
    "RunInfo",
    "Store",
    "StoreError",
    "mark_interrupted",
    "replay",
]

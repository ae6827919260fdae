"""The SimPy model: the only package that imports simpy."""

from sim.engine.clock import Clock, Emitter
from sim.engine.model import Model, ModelResult

__all__ = ["Clock", "Emitter", "Model", "ModelResult"]

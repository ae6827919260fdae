"""Pacing: how many dials a campaign may start now, and what each one holds.

A pacer answers ``capacity()`` (new dials wanted now) and ``claim(n)`` (hold
what those dials need: a telecom line each, and in progressive mode a
reserved agent each). ``unclaim`` gives back what a dial that never started
held. Predictive and preview pacers live in their own modules.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sim.engine.agents import Agent, QueuePool
    from sim.engine.campaigns import CampaignRuntime
    from sim.engine.model import Model

EPS = 1e-9


class Pacer(Protocol):
    def capacity(self) -> int: ...

    def claim(self, n: int) -> list[Agent | None]: ...

    def unclaim(self, agent: Agent | None) -> None: ...


class Lines:
    """The instance's concurrent-call limit and each campaign's share of it."""

    __slots__ = ("limit", "used")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def free(self) -> int:
        return self.limit - self.used


def line_headroom(model: Model, runtime: CampaignRuntime) -> int:
    """Lines this campaign may still take: its dialingCapacity share, and what is free."""
    share = math.floor(runtime.dialing_capacity * model.lines.limit + EPS) - runtime.lines
    return min(share, model.lines.free())


class AgentlessPacer:
    """Dials within the campaign's share of the instance's concurrent calls."""

    def __init__(self, model: Model, runtime: CampaignRuntime) -> None:
        self.model = model
        self.runtime = runtime

    def capacity(self) -> int:
        return line_headroom(self.model, self.runtime)

    def claim(self, n: int) -> list[Agent | None]:
        self.runtime.lines += n
        self.model.lines.used += n
        return [None] * n

    def unclaim(self, agent: Agent | None) -> None:
        self.runtime.lines -= 1
        self.model.lines.used -= 1
        self.model.line_freed()


class ProgressivePacer:
    """One dial per free agent, within the campaign's bandwidth allocation.

    The campaign may hold at most ceil(bandwidthAllocation x logged-in agents)
    of its queue's agents at once (reserved, talking or in after-contact work
    on its contacts); each dial reserves its agent before the number rings.
    """

    def __init__(self, model: Model, runtime: CampaignRuntime, pool: QueuePool) -> None:
        self.model = model
        self.runtime = runtime
        self.pool = pool

    def allowance(self) -> int:
        cap = math.ceil(self.runtime.bandwidth_allocation * self.pool.logged_in - EPS)
        return cap - self.runtime.held

    def capacity(self) -> int:
        return min(
            self.pool.free_count(), self.allowance(), line_headroom(self.model, self.runtime)
        )

    def claim(self, n: int) -> list[Agent | None]:
        runtime = self.runtime
        roster = self.model.roster
        agents: list[Agent | None] = []
        for _ in range(n):
            agent = self.pool.take()
            if agent is None:
                break
            roster.reserve(agent, runtime.id)
            agents.append(agent)
        runtime.held += len(agents)
        runtime.lines += len(agents)
        self.model.lines.used += len(agents)
        # A pool emptier than capacity() said cannot happen within one
        # instant, but a dial without its agent must never start.
        agents.extend([None] * (n - len(agents)))
        return agents

    def unclaim(self, agent: Agent | None) -> None:
        self.runtime.lines -= 1
        self.model.lines.used -= 1
        if agent is not None:
            self.runtime.held -= 1
            self.model.roster.release(agent)
        self.model.line_freed()

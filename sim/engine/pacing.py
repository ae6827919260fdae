"""Pacing: how many dials a campaign may start now, and what each one holds.

A pacer answers ``capacity()`` (new dials wanted now) and ``claim(n)`` (hold
what those dials need: a telecom line each, and in progressive mode a
reserved agent each). ``unclaim`` gives back what a dial that never started
held. The predictive pacer lives in its own module.
"""

from __future__ import annotations

import math
from typing import Protocol

from sim.engine.agents import Agent, AgentRoster, QueuePool
from sim.engine.lines import EPS, Lines, Share


class Pacer(Protocol):
    def capacity(self) -> int: ...

    def claim(self, n: int) -> list[Agent | None]: ...

    def unclaim(self, agent: Agent | None) -> None: ...


class AgentlessPacer:
    """Dials within the campaign's share of the instance's concurrent calls."""

    def __init__(self, share: Share, lines: Lines) -> None:
        self.share = share
        self.lines = lines

    def capacity(self) -> int:
        return self.lines.headroom(self.share)

    def claim(self, n: int) -> list[Agent | None]:
        self.lines.claim(self.share, n)
        return [None] * n

    def unclaim(self, agent: Agent | None) -> None:
        self.lines.release(self.share)
        self.lines.freed()


class ProgressivePacer:
    """One dial per free agent, within the campaign's bandwidth allocation.

    The campaign may hold at most ceil(bandwidthAllocation x logged-in agents)
    of its queue's agents at once (reserved, talking or in after-contact work
    on its contacts); each dial reserves its agent before the number rings.
    """

    def __init__(self, share: Share, pool: QueuePool, roster: AgentRoster, lines: Lines) -> None:
        self.share = share
        self.pool = pool
        self.roster = roster
        self.lines = lines

    def allowance(self) -> int:
        share = self.share
        return math.ceil(share.bandwidth_allocation * self.pool.logged_in - EPS) - share.held

    def capacity(self) -> int:
        return min(self.pool.free_count(), self.allowance(), self.lines.headroom(self.share))

    def claim(self, n: int) -> list[Agent | None]:
        share, roster, pool = self.share, self.roster, self.pool
        agents: list[Agent | None] = []
        for _ in range(n):
            agent = pool.take()
            if agent is None:
                break
            roster.reserve(agent, share)
            agents.append(agent)
        self.lines.claim(share, len(agents))
        # A pool emptier than capacity() said cannot happen within one
        # instant, but a dial without its agent must never start.
        agents.extend([None] * (n - len(agents)))
        return agents

    def unclaim(self, agent: Agent | None) -> None:
        self.lines.release(self.share)
        if agent is not None:
            self.roster.release(agent)
        self.lines.freed()

"""Pacing: how many dials a campaign may start now, and what each one holds.

A pacer answers ``capacity()`` (new dials wanted now) and ``claim(contacts)``
(hold what the dials of those contacts need: a telecom line each, and in
progressive and preview mode an agent each, RESERVED for its contact).
The predictive pacer lives in its own module.
"""

from __future__ import annotations

import math
from typing import Protocol

from sim.engine.agents import Agent, AgentRoster, QueuePool
from sim.engine.lines import EPS, Lines, Share


class Pacer(Protocol):
    def capacity(self) -> int: ...

    def saturated(self) -> bool:
        """``capacity()`` is 0 until something that kicks the dialer happens."""
        ...

    def claim(self, contact_ids: list[str]) -> list[Agent | None]: ...


class AgentlessPacer:
    """Dials within the campaign's share of the instance's concurrent calls."""

    def __init__(self, share: Share, lines: Lines) -> None:
        self.share = share
        self.lines = lines

    def capacity(self) -> int:
        return self.lines.headroom(self.share)

    def saturated(self) -> bool:
        return False

    def claim(self, contact_ids: list[str]) -> list[Agent | None]:
        n = len(contact_ids)
        self.lines.claim(self.share, n)
        return [None] * n


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

    def saturated(self) -> bool:
        """No free agent: only one made available (which kicks) changes that."""
        return not self.pool.available

    def claim(self, contact_ids: list[str]) -> list[Agent | None]:
        """An agent RESERVED for each contact (capacity() said there are enough)."""
        share, roster, pool = self.share, self.roster, self.pool
        agents: list[Agent | None] = []
        for contact_id in contact_ids:
            agent = pool.take()
            if agent is None:  # capacity() counted free agents: cannot happen
                raise RuntimeError(f"no free agent for contact {contact_id}")
            roster.reserve(agent, share, contact_id)
            agents.append(agent)
        self.lines.claim(share, len(agents))
        return agents
